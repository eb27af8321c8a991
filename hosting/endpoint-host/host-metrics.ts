import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS, RELATIVE_DIFFERENCE_BUCKETS, SERVING_METRICS as M } from '../../common/serving-metrics';

/** A variant as the gauges report it. */
export interface VariantGaugeView {
  endpoint: string;
  variant: string;
  role: 'production' | 'shadow';
  instances: number;
  desired: number;
  weight: number;
  invocationsPerInstancePerMinute: number;
}

type Labels = { endpoint: string; variant: string; role: 'production' | 'shadow' };

/**
 * The endpoint host's Prometheus metrics (SageMaker's per-variant CloudWatch metrics, in our
 * words): invocations, failures and model latency per endpoint, variant and role; instances,
 * weights and the autoscaler's measure as gauges read from the live state at scrape time; shadow
 * comparisons. One registry per host, so hosts in one process (tests) do not share counters.
 */
export class HostMetrics {
  readonly registry = new Registry();
  private readonly invocations: Counter<'endpoint' | 'variant' | 'role'>;
  private readonly errors: Counter<'endpoint' | 'variant' | 'role' | 'error'>;
  private readonly latency: Histogram<'endpoint' | 'variant' | 'role'>;
  private readonly difference: Histogram<'endpoint' | 'variant'>;
  private readonly dropped: Counter<'endpoint' | 'variant'>;

  constructor(view: () => VariantGaugeView[], startedAt = Date.now()) {
    const registers = [this.registry];
    this.invocations = new Counter({ name: M.invocations, help: 'Invocations of an endpoint variant (production: answered; shadow: mirrored).', labelNames: ['endpoint', 'variant', 'role'], registers });
    this.errors = new Counter({ name: M.invocationErrors, help: 'Failed invocations: ModelError (the model answered an error), NoInstance, InvocationFailed (no answer).', labelNames: ['endpoint', 'variant', 'role', 'error'], registers });
    this.latency = new Histogram({ name: M.modelLatency, help: 'Time the model server took to answer, seconds.', labelNames: ['endpoint', 'variant', 'role'], buckets: LATENCY_BUCKETS, registers });
    this.difference = new Histogram({ name: M.shadowRelativeDifference, help: '|shadow - production| / max(|production|, 1e-9) per mirrored request both answered.', labelNames: ['endpoint', 'variant'], buckets: RELATIVE_DIFFERENCE_BUCKETS, registers });
    this.dropped = new Counter({ name: M.shadowDropped, help: 'Mirrored requests not sent because the shadow had too many in flight.', labelNames: ['endpoint', 'variant'], registers });
    const gauge = (name: string, help: string, pick: (v: VariantGaugeView) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['endpoint', 'variant', 'role'],
        registers,
        collect() {
          this.reset();
          for (const v of view()) this.set({ endpoint: v.endpoint, variant: v.variant, role: v.role }, pick(v));
        },
      });
    gauge(M.instances, 'Running instances (model-server processes) of a variant.', (v) => v.instances);
    gauge(M.desiredInstances, 'Instances a variant should have (configuration or autoscaler).', (v) => v.desired);
    gauge(M.variantWeight, 'Current weight of a variant (production: share of answers; shadow: mirrored share).', (v) => v.weight);
    gauge(M.invocationsPerInstancePerMinute, "Invocations per instance per minute, mean of the last 10 s (the autoscaler scales out on the lowest second of the last 3 s, in on the highest of the last 10 s).", (v) => v.invocationsPerInstancePerMinute);
    new Gauge({ name: M.hostStartTime, help: 'When this endpoint host started (counters restart from 0 with it), seconds since the epoch.', registers }).set(startedAt / 1000);
  }

  invoked(labels: Labels, seconds: number): void {
    this.invocations.inc(labels);
    this.latency.observe(labels, seconds);
  }

  failed(labels: Labels, error: 'ModelError' | 'NoInstance' | 'InvocationFailed'): void {
    this.errors.inc({ ...labels, error });
  }

  /** A request that reached no instance still counts as an invocation of the variant chosen (or `none`). */
  unanswered(labels: Labels, error: 'NoInstance' | 'InvocationFailed'): void {
    this.invocations.inc(labels);
    this.errors.inc({ ...labels, error });
  }

  compared(endpoint: string, variant: string, relativeDifference: number): void {
    this.difference.observe({ endpoint, variant }, relativeDifference);
  }

  shadowDropped(endpoint: string, variant: string): void {
    this.dropped.inc({ endpoint, variant });
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
