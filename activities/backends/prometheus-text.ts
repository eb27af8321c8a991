import type { HistogramCounts } from './types';

/** One sample of the Prometheus text exposition format: `name{label="value",...} value`. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Exposition bodies larger than this are refused (ours are a few kB; a bigger one is not ours). */
export const MAX_EXPOSITION_BYTES = 4 * 1024 * 1024;

/**
 * Parses the Prometheus text format (version 0.0.4) that prom-client writes: comments and blank
 * lines skipped, label values unescaped (`\\`, `\"`, `\n`), `+Inf`/`-Inf`/`NaN` values, optional
 * timestamps ignored. A line that does not parse is skipped and counted, never thrown: a reading
 * with a strange line still reads the rest.
 */
export function parsePrometheusText(text: string): { samples: PromSample[]; skipped: number } {
  if (text.length > MAX_EXPOSITION_BYTES) throw new Error(`metrics exposition of ${text.length} bytes exceeds ${MAX_EXPOSITION_BYTES}`);
  const samples: PromSample[] = [];
  let skipped = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const sample = parseLine(line);
    if (sample) samples.push(sample);
    else skipped++;
  }
  return { samples, skipped };
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseLine(line: string): PromSample | undefined {
  const nameMatch = NAME.exec(line);
  if (!nameMatch) return undefined;
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const labelMatch = LABEL_NAME.exec(line.slice(i));
      if (!labelMatch) return undefined;
      i += labelMatch[0].length;
      if (line[i] !== '=' || line[i + 1] !== '"') return undefined;
      i += 2;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) return undefined;
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\') {
          const next = line[i + 1];
          value += next === 'n' ? '\n' : (next ?? '');
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      labels[labelMatch[0]] = value;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  const value = parseValue(rest[0]);
  if (value === undefined) return undefined;
  return { name, labels, value };
}

function parseValue(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  return text !== '' && !Number.isNaN(n) ? n : undefined;
}

/** Samples of `name` whose labels include every one of `match`. */
export function select(samples: PromSample[], name: string, match: Record<string, string>): PromSample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** The sum of the matching samples (0 when none). */
export function sumOf(samples: PromSample[], name: string, match: Record<string, string>): number {
  return select(samples, name, match).reduce((total, s) => total + s.value, 0);
}

/** A histogram's cumulative bucket counts, sum and count for the matching series (summed over the other labels). */
export function histogramOf(samples: PromSample[], name: string, match: Record<string, string>): HistogramCounts {
  const byBound = new Map<number, number>();
  for (const s of select(samples, `${name}_bucket`, match)) {
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    if (Number.isNaN(le)) continue;
    byBound.set(le, (byBound.get(le) ?? 0) + s.value);
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return { bounds, counts: bounds.map((b) => byBound.get(b)!), sum: sumOf(samples, `${name}_sum`, match), count: sumOf(samples, `${name}_count`, match) };
}
