/**
 * The Prometheus metrics the endpoint host and the gateway expose on `/metrics`, and that the
 * deployment's alarm reader and the autoscaler read: one list of names and bucket bounds, so the
 * writers and the reader cannot drift apart.
 */
export const SERVING_METRICS = {
  /** Endpoint host: invocations per endpoint, variant and role (production answers, shadow is mirrored). */
  invocations: 'mlops_endpoint_invocations_total',
  /** Endpoint host: failed invocations (`error`: ModelError, NoInstance, InvocationFailed). */
  invocationErrors: 'mlops_endpoint_invocation_errors_total',
  /** Endpoint host: time the model server took (SageMaker's ModelLatency), seconds. */
  modelLatency: 'mlops_endpoint_model_latency_seconds',
  instances: 'mlops_endpoint_instances',
  desiredInstances: 'mlops_endpoint_desired_instances',
  variantWeight: 'mlops_endpoint_variant_weight',
  /** Endpoint host: invocations per instance per minute, mean of the last 10 s (what the autoscaler tracks; its windows are in hosting/endpoint-host/autoscaler.ts). */
  invocationsPerInstancePerMinute: 'mlops_endpoint_invocations_per_instance_per_minute',
  /** Endpoint host: |shadow - production| / max(|production|, 1e-9) per mirrored request answered by both. */
  shadowRelativeDifference: 'mlops_endpoint_shadow_relative_difference',
  /** Endpoint host: mirrored requests not sent because the shadow had too many in flight. */
  shadowDropped: 'mlops_endpoint_shadow_dropped_total',
  hostStartTime: 'mlops_endpoint_host_start_time_seconds',
  /** Gateway: endpoint calls by the variant that answered (`unknown` when none did). */
  gatewayCalls: 'mlops_gateway_endpoint_calls_total',
  gatewayCallErrors: 'mlops_gateway_endpoint_call_errors_total',
  gatewayCallLatency: 'mlops_gateway_endpoint_call_latency_seconds',
  /** Gateway: each prediction's position in the answering model's training label range (0 = min, 1 = max). */
  gatewayLabelPosition: 'mlops_gateway_prediction_label_position',
  gatewayStartTime: 'mlops_gateway_start_time_seconds',
} as const;

/** Latency buckets, seconds: fine below 100 ms, where the alarms and the bench look. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Relative-difference buckets of shadow comparisons. */
export const RELATIVE_DIFFERENCE_BUCKETS = [0.0001, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

/** Label-position buckets: each sanity tolerance t has the bounds -t and 1 + t. */
export const LABEL_POSITION_BUCKETS = [-1, -0.5, -0.2, -0.1, -0.05, 0, 1, 1.05, 1.1, 1.2, 1.5, 2];
