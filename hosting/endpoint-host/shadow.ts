import type { CaptureSettings } from './capture';

/**
 * The first prediction of a model server's answer: the built-in algorithms answer CSV (one value
 * per line or comma separated) or JSON (`{"predictions": [{"score": v}]}` / `{"score": v}`).
 * Undefined when the answer holds no finite number (then the pair is not compared).
 */
export function firstPrediction(body: Buffer): number | undefined {
  const text = body.toString('utf8', 0, Math.min(body.length, 4096)).trim();
  let first: unknown;
  if (text.startsWith('{')) {
    try {
      const doc = JSON.parse(body.toString('utf8')) as { predictions?: { score?: unknown }[]; score?: unknown };
      first = doc.predictions ? doc.predictions[0]?.score : doc.score;
    } catch {
      return undefined;
    }
  } else {
    first = text.split(/[\n,]/)[0];
  }
  const value = typeof first === 'number' ? first : typeof first === 'string' && first.trim() !== '' ? Number(first) : Number.NaN;
  return Number.isFinite(value) ? value : undefined;
}

/** |shadow - production| relative to the production answer (guarded against a zero answer). */
export function relativeDifference(shadow: number, production: number): number {
  return Math.abs(shadow - production) / Math.max(Math.abs(production), 1e-9);
}

/**
 * Capture of mirrored answers goes beside the endpoint's own capture (`<destination>-shadow`), in
 * the same format and layout: the records pair with the production ones by inference id, and
 * monitoring, which reads `<destination>/<endpoint>/`, never takes a mirrored answer for a served one.
 */
export function shadowCaptureSettings(settings: CaptureSettings): CaptureSettings {
  return { ...settings, destinationS3Uri: `${settings.destinationS3Uri.replace(/\/+$/, '')}-shadow` };
}
