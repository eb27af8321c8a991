import { SERVING_METRICS as M } from '../../../common/serving-metrics';
import { histogramOf, MAX_EXPOSITION_BYTES, parsePrometheusText, select, sumOf, type PromSample } from '../prometheus-text';
import type { EndpointMetrics, EndpointMetricsSnapshot, VariantCounters } from '../types';

/**
 * The per-variant counters of a local endpoint, from the endpoint host's `/metrics` (invocations,
 * failures, model latency, instances, weights, shadow comparisons) and, for the prediction-sanity
 * alarm, the gateway's (each prediction's position in the training label range). What cannot be
 * read is said in `problems`; the host being unreachable fails the read (a retry may reach it).
 */
export class LocalEndpointMetrics implements EndpointMetrics {
  constructor(
    private readonly endpointHostUrl: string,
    private readonly gatewayUrl?: string,
    private readonly timeoutMs = 3000,
  ) {}

  async read(endpointName: string): Promise<EndpointMetricsSnapshot> {
    const takenAt = new Date().toISOString();
    const problems: string[] = [];
    const host = await fetchExposition(`${this.endpointHostUrl}/metrics`, this.timeoutMs);
    const snapshot = snapshotFromHost(endpointName, host.samples, takenAt, problems);
    if (host.skipped) problems.push(`${host.skipped} line(s) of the endpoint host's metrics did not parse`);
    if (this.gatewayUrl) {
      try {
        const gateway = await fetchExposition(`${this.gatewayUrl}/metrics`, this.timeoutMs);
        snapshot.sanity = sanityFromGateway(endpointName, gateway.samples);
      } catch (err) {
        problems.push(`the gateway's metrics could not be read (${(err as Error).message}): no prediction-sanity reading`);
      }
    }
    return snapshot;
  }
}

async function fetchExposition(url: string, timeoutMs: number): Promise<{ samples: PromSample[]; skipped: number }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_EXPOSITION_BYTES) throw new Error(`${url}: ${declared} bytes exceed ${MAX_EXPOSITION_BYTES}`);
  return parsePrometheusText(await response.text());
}

/** The host's samples of one endpoint as a snapshot. */
export function snapshotFromHost(endpointName: string, samples: PromSample[], takenAt: string, problems: string[] = []): EndpointMetricsSnapshot {
  const endpoint = { endpoint: endpointName };
  const variants = new Map<string, VariantCounters>();
  for (const s of select(samples, M.invocations, endpoint)) {
    const variantName = s.labels.variant ?? '';
    const role = s.labels.role === 'shadow' ? 'shadow' : 'production';
    const match = { endpoint: endpointName, variant: variantName, role };
    variants.set(variantName, {
      variantName,
      role,
      invocations: s.value,
      errors: sumOf(samples, M.invocationErrors, match),
      latencySeconds: histogramOf(samples, M.modelLatency, match),
      instances: sumOf(samples, M.instances, match),
      weight: sumOf(samples, M.variantWeight, match),
    });
  }
  // Variants that serve but were never called yet still show (instances, weight).
  for (const s of select(samples, M.instances, endpoint)) {
    const variantName = s.labels.variant ?? '';
    if (variants.has(variantName)) continue;
    const role = s.labels.role === 'shadow' ? 'shadow' : 'production';
    const match = { endpoint: endpointName, variant: variantName, role };
    variants.set(variantName, { variantName, role, invocations: 0, errors: 0, latencySeconds: histogramOf(samples, M.modelLatency, match), instances: s.value, weight: sumOf(samples, M.variantWeight, match) });
  }
  const shadowNames = new Set(select(samples, `${M.shadowRelativeDifference}_count`, endpoint).map((s) => s.labels.variant ?? ''));
  for (const s of select(samples, M.shadowDropped, endpoint)) shadowNames.add(s.labels.variant ?? '');
  const shadow = [...shadowNames].map((variantName) => ({
    variantName,
    pairs: sumOf(samples, `${M.shadowRelativeDifference}_count`, { endpoint: endpointName, variant: variantName }),
    relativeDifference: histogramOf(samples, M.shadowRelativeDifference, { endpoint: endpointName, variant: variantName }),
    dropped: sumOf(samples, M.shadowDropped, { endpoint: endpointName, variant: variantName }),
  }));
  const started = select(samples, M.hostStartTime, {})[0]?.value;
  return { endpointName, takenAt, ...(started !== undefined ? { startedAt: started } : {}), variants: [...variants.values()], shadow, problems };
}

/** The gateway's label positions per variant of one endpoint. */
export function sanityFromGateway(endpointName: string, samples: PromSample[]): NonNullable<EndpointMetricsSnapshot['sanity']> {
  const names = new Set(select(samples, `${M.gatewayLabelPosition}_count`, { endpoint: endpointName }).map((s) => s.labels.variant ?? ''));
  const started = select(samples, M.gatewayStartTime, {})[0]?.value;
  return {
    ...(started !== undefined ? { startedAt: started } : {}),
    variants: [...names].map((variantName) => ({ variantName, positions: histogramOf(samples, M.gatewayLabelPosition, { endpoint: endpointName, variant: variantName }) })),
  };
}
