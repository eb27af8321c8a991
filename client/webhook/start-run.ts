import { isGrpcServiceError, type Client } from '@temporalio/client';
import type { Backend } from '../../activities/backends/types';
import type { Config } from '../../common/config/schema';
import { scoringWorkflowId, trainingWorkflowId } from '../../common/ids';
import { s3Uri } from '../../common/uri';
import { startScoring } from '../../services/scoring/start-scoring';
import { startTraining } from '../../services/training/start-training';
import { UsageError } from '../../services/usage-error';
import { ConfigFileError } from '../../services/training/config-file';
import { ZodError } from 'zod';
import type { ObjectCreatedEvent } from './event-schemas';
import { routeProject, scoringParametersSchema, trainingParametersSchema, type PipelineName, type RouteRule } from './routes';
import { EdgeError } from '../edge-errors';

/**
 * The run an event maps to; `started` is false when it already existed (a redelivery). `queued`:
 * the event was journaled and the run starts shortly (the inbox answers before Temporal does).
 */
export interface PipelineStart {
  workflowId: string;
  started: boolean;
  queued?: boolean;
}

/** Starts (or finds) the run of one routed event. Injected into the webhook server. */
export type PipelineStarter = (route: RouteRule, event: ObjectCreatedEvent) => Promise<PipelineStart>;

/** The route names a pipeline that cannot be started from an event yet (answered 501). */
export class PipelineNotAvailableError extends EdgeError {
  constructor(readonly pipeline: string) {
    super('not-implemented', 'PipelineNotAvailable', `pipeline '${pipeline}' not available yet: it cannot be started from an event`);
    this.name = 'PipelineNotAvailableError';
  }
}

/**
 * Start errors that retrying cannot fix (the route or the data is wrong, or Temporal refuses the
 * request itself: INVALID_ARGUMENT, e.g. an id over its limit), as opposed to an unreachable server.
 */
export function isPermanentStartError(err: unknown): boolean {
  return err instanceof PipelineNotAvailableError || err instanceof UsageError || err instanceof ZodError || err instanceof ConfigFileError || grpcCodeOf(err) === GRPC_INVALID_ARGUMENT;
}

const GRPC_INVALID_ARGUMENT = 3;

/** The gRPC status code of a Temporal client error (the SDK's ServiceError wraps it in `cause`). */
function grpcCodeOf(err: unknown): number | undefined {
  for (let current: unknown = err, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    if (isGrpcServiceError(current)) return current.code;
  }
  return undefined;
}

export interface TemporalStarterDeps {
  client: Client;
  backend: Backend;
  config: Config;
}

/** Starts one pipeline for a routed event. */
export type PipelineStartFunction = (deps: TemporalStarterDeps, route: RouteRule, event: ObjectCreatedEvent) => Promise<PipelineStart>;

/**
 * What identifies the object version, in order of preference: the (normalized) ETag, the S3
 * versionId, the sequencer. The ETag first because it is what `mlops train|score --data s3://...`
 * reads with a HEAD, so an event and a command for the same object version name the same run (two
 * versions with identical content are one run: the same data). Taken from the event, so the
 * workflow id of a redelivery does not depend on a later HEAD (the object may have changed since).
 */
export function objectVersionOf(event: Pick<ObjectCreatedEvent, 'versionId' | 'etag' | 'sequencer'>): string | undefined {
  return event.etag || event.versionId || event.sequencer || undefined;
}

/**
 * The workflow id the event's run gets, known before starting it (so the inbox can answer with
 * it); undefined when the event names no version (then only a start, which reads the object, can
 * tell).
 */
export function workflowIdForEvent(route: RouteRule, event: ObjectCreatedEvent): string | undefined {
  const version = objectVersionOf(event);
  if (!version) return undefined;
  const object = { bucket: event.bucket, key: event.key, version };
  const project = routeProject(route);
  return route.pipeline === 'training' ? trainingWorkflowId(object, undefined, project) : scoringWorkflowId(object, undefined, project);
}

/** `training/<bucket>/<key>@<version>` through `startTraining`, with the rule's parameters. */
export const startTrainingForEvent: PipelineStartFunction = async ({ client, backend, config }, route, event) => {
  const parameters = trainingParametersSchema.parse(route.parameters ?? {});
  const version = objectVersionOf(event);
  const started = await startTraining(client, backend, config, {
    data: s3Uri(event.bucket, event.key),
    ...(version ? { version } : {}),
    ...(parameters.threshold !== undefined ? { threshold: parameters.threshold } : {}),
    ...(parameters.approval ? { approval: parameters.approval } : {}),
    ...(parameters.deploy !== undefined ? { deploy: parameters.deploy } : {}),
    ...(parameters.configFile ? { configFile: parameters.configFile } : {}),
    ...(parameters.project ? { project: parameters.project } : {}),
    trigger: `webhook:${event.source} ${event.eventName} (rule ${route.name})`,
  });
  return { workflowId: started.workflowId, started: started.started };
};

/** `scoring/<bucket>/<key>@<version>` through `startScoring` (the latest approved models). */
export const startScoringForEvent: PipelineStartFunction = async ({ client, backend, config }, route, event) => {
  const parameters = scoringParametersSchema.parse(route.parameters ?? {});
  const version = objectVersionOf(event);
  const started = await startScoring(client, backend, config, {
    data: s3Uri(event.bucket, event.key),
    ...(version ? { version } : {}),
    ...(parameters.families ? { families: parameters.families } : {}),
    ...(parameters.project ? { project: parameters.project } : {}),
    trigger: `webhook:${event.source} ${event.eventName} (rule ${route.name})`,
  });
  return { workflowId: started.workflowId, started: started.started };
};

export const DEFAULT_PIPELINE_STARTERS: Record<PipelineName, PipelineStartFunction> = {
  training: startTrainingForEvent,
  scoring: startScoringForEvent,
};

/**
 * The real starter: each pipeline's start function against Temporal, within `startTimeoutMs`
 * (senders give up after about 15 s: SNS, MinIO), so an unreachable server answers 503 in time.
 */
export function createTemporalStarter(options: {
  client: Client;
  backend: Backend;
  config: Config;
  starters?: Partial<Record<PipelineName, PipelineStartFunction>>;
  startTimeoutMs?: number;
}): PipelineStarter {
  const deps: TemporalStarterDeps = { client: options.client, backend: options.backend, config: options.config };
  const starters = options.starters ?? DEFAULT_PIPELINE_STARTERS;
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  return (route, event) => {
    const start = starters[route.pipeline];
    if (!start) return Promise.reject(new PipelineNotAvailableError(route.pipeline));
    return deps.client.withDeadline(Date.now() + timeoutMs, () => start(deps, route, event));
  };
}
