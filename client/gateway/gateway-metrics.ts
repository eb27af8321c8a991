import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LABEL_POSITION_BUCKETS, LATENCY_BUCKETS, SERVING_METRICS as M } from '../../common/serving-metrics';
import type { FeatureSchema } from '../../common/schemas/feature-schema';

/**
 * The gateway's Prometheus metrics: endpoint calls, failures and latency by the variant that
 * answered (`unknown` when none did), and each prediction's position in the answering model's
 * training label range (0 = the label's min, 1 = its max), which the deployment's
 * prediction-sanity alarm reads. One registry per gateway (tests run several in one process).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'endpoint' | 'variant'>;
  private readonly errors: Counter<'endpoint' | 'variant' | 'error'>;
  private readonly latency: Histogram<'endpoint' | 'variant'>;
  private readonly position: Histogram<'endpoint' | 'variant'>;

  constructor(startedAt = Date.now()) {
    const registers = [this.registry];
    this.calls = new Counter({ name: M.gatewayCalls, help: 'Endpoint calls by the variant that answered.', labelNames: ['endpoint', 'variant'], registers });
    this.errors = new Counter({ name: M.gatewayCallErrors, help: 'Endpoint calls that failed (timeout, unavailable, model-error, non-finite).', labelNames: ['endpoint', 'variant', 'error'], registers });
    this.latency = new Histogram({ name: M.gatewayCallLatency, help: 'Time an endpoint call took, seconds.', labelNames: ['endpoint', 'variant'], buckets: LATENCY_BUCKETS, registers });
    this.position = new Histogram({ name: M.gatewayLabelPosition, help: "A prediction's position in the training label range of the model that made it (0 = min, 1 = max).", labelNames: ['endpoint', 'variant'], buckets: LABEL_POSITION_BUCKETS, registers });
    new Gauge({ name: M.gatewayStartTime, help: 'When this gateway started (counters restart from 0 with it), seconds since the epoch.', registers }).set(startedAt / 1000);
  }

  answered(endpoint: string, variant: string, seconds: number, prediction: number, schema: FeatureSchema): void {
    const labels = { endpoint, variant };
    this.calls.inc(labels);
    this.latency.observe(labels, seconds);
    const position = labelPosition(prediction, schema);
    if (position !== undefined) this.position.observe(labels, position);
  }

  failed(endpoint: string, error: string, seconds: number, variant = 'unknown'): void {
    this.calls.inc({ endpoint, variant });
    this.errors.inc({ endpoint, variant, error });
    this.latency.observe({ endpoint, variant }, seconds);
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** (prediction - min) / (max - min) of the training label; undefined without label statistics or a finite prediction. */
export function labelPosition(prediction: number, schema: FeatureSchema): number | undefined {
  const stats = (schema.label as { stats?: { min?: unknown; max?: unknown } }).stats;
  const min = typeof stats?.min === 'number' ? stats.min : undefined;
  const max = typeof stats?.max === 'number' ? stats.max : undefined;
  if (min === undefined || max === undefined || !Number.isFinite(prediction)) return undefined;
  const width = max - min > 0 ? max - min : Math.max(Math.abs(max), 1);
  return (prediction - min) / width;
}
