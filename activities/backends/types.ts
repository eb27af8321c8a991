/**
 * One interface per concern, in our own words with plain objects (SageMaker-shaped specs). The
 * local and aws implementations live in `local/` and `aws/` under the same file names; activities
 * only ever see these interfaces.
 */
import type { FinalMetric, JobStatus, MetricDefinition, ResourceConfig } from '../../common/types/jobs';
import type { GovernanceRecord } from '../../common/types/governance';
import type { DeliveredNotification, Notification } from '../../common/types/notification';
import type { ModelApprovalStatus, ModelDecision, ModelFamily, ModelVersion, BaselineUris, SplitMetrics } from '../../common/types/model';
import { algorithmOf, type AlgorithmSpec, type BuiltinAlgorithm, type ByoContainer } from '../../common/types/algorithm';
import type { AutoscalingConfig, RollbackAlarms } from '../../common/types/deployment';

export interface ObjectMetadata {
  size: number;
  /** MD5 of the content, hex, no quotes (S3's ETag for single-part uploads). */
  etag: string;
  lastModified: string;
  contentType?: string;
}

export interface ObjectStore {
  /** Writes an object from a buffer or a local file and returns its metadata. */
  put(uri: string, body: Buffer | string, options?: { contentType?: string }): Promise<ObjectMetadata>;
  putFile(uri: string, localPath: string, options?: { contentType?: string }): Promise<ObjectMetadata>;
  get(uri: string): Promise<Buffer>;
  /** Metadata, or undefined when the object does not exist. */
  head(uri: string): Promise<ObjectMetadata | undefined>;
  /**
   * The ETag an S3 event names for the object as it is now (unquoted, lower case, a multipart
   * upload's `-<parts>` kept; see `normalizeETag`), or undefined when there is no object. Reads no
   * content and copies nothing, so the webhook can check an event against it cheaply.
   */
  currentETag(uri: string): Promise<string | undefined>;
  /** Object URIs under a prefix, sorted. */
  list(prefixUri: string): Promise<string[]>;
  /** Copies one object to a local file. */
  download(uri: string, localPath: string): Promise<void>;
  /** Copies every object under a prefix into a local dir, keeping relative paths; returns the count. */
  downloadPrefix(prefixUri: string, localDir: string): Promise<number>;
  /** Uploads every file of a local dir under a prefix; returns the URIs written. */
  uploadDir(localDir: string, prefixUri: string): Promise<string[]>;
  /** An object with the token `putIfMatch` needs to replace exactly this content (S3: its ETag), or undefined. */
  getForUpdate(uri: string): Promise<{ body: Buffer; token: string } | undefined>;
  /**
   * Writes only if the object still holds what `getForUpdate` returned with `token` (undefined: only
   * if it does not exist yet); false when another writer came first (S3 conditional writes).
   */
  putIfMatch(uri: string, body: Buffer | string, token: string | undefined, options?: { contentType?: string }): Promise<boolean>;
}

/**
 * What trains and serves a model: a built-in algorithm by name, or a bring-your-own container (its
 * image URI on aws, its entry point locally). Models registered before projects name a built-in.
 */
export type AlgorithmImage = BuiltinAlgorithm | { byo: ByoContainer };

/** The image of a family's algorithm (the family names a built-in when the run gives no algorithm). */
export function algorithmImage(family: ModelFamily, algorithm: AlgorithmSpec | undefined): AlgorithmImage {
  const spec = algorithmOf(family, algorithm);
  if (spec.kind !== 'byo') return spec.kind;
  const { kind: _kind, ...container } = spec;
  return { byo: container };
}

/** A name for an image in messages, tags and logs. */
export function imageLabel(image: AlgorithmImage): string {
  return typeof image === 'string' ? image : `byo:${image.byo.name}`;
}
export type ProcessingImage = 'preprocess' | 'model-monitor';

export interface TrainingJobSpec {
  jobName: string;
  image: AlgorithmImage;
  metricDefinitions: MetricDefinition[];
  hyperparameters: Record<string, string>;
  /** Channels (train, validation, test), each an S3 prefix with CSV objects. */
  channels: { name: string; s3Uri: string; contentType: string }[];
  /** S3OutputPath: the model lands at `<outputPath>/<jobName>/output/model.tar.gz`. */
  outputPath: string;
  resources: ResourceConfig;
  maxRuntimeSeconds: number;
  tags?: Record<string, string>;
}

export interface ProcessingJobSpec {
  jobName: string;
  image: ProcessingImage;
  /** Container arguments; container paths (common/container-contract.ts) refer to the container's file system. */
  arguments: string[];
  environment: Record<string, string>;
  /** S3 object or prefix -> container dir (`processingInput()` of common/container-contract.ts). */
  inputs: { name: string; s3Uri: string; localPath: string }[];
  /** Container dir -> S3 prefix, uploaded when the job completes. */
  outputs: { name: string; s3Uri: string; localPath: string }[];
  resources: ResourceConfig;
  maxRuntimeSeconds: number;
  cpuPriority?: CpuPriority;
}

/**
 * Local backend only: the job's process runs at a lower CPU priority, so on a shared machine it
 * yields the CPUs to a run's trainings (its long jobs): `follow-up` (nice 5, while a training the
 * runner started still runs; the normal priority once none does) for the short jobs that follow a
 * training (its test-set scoring and model-quality baseline), `background` (nice 10) for work the
 * run needs only later (the data-quality baseline). SageMaker gives each job instances of its own;
 * the aws backend sends nothing for it.
 */
export type CpuPriority = 'follow-up' | 'background';

/** The niceness of a job process of that priority (local backend). */
export const CPU_PRIORITY_NICENESS: Record<CpuPriority, number> = { 'follow-up': 5, background: 10 };

/** CreateTransformJob, for one model over every object under an input prefix. */
export interface TransformJobSpec {
  jobName: string;
  image: AlgorithmImage;
  /** The model artifact (model.tar.gz) the transform serves. */
  modelArtifactUri: string;
  input: { s3Uri: string; contentType: 'text/csv' | 'application/jsonlines'; splitType: 'Line' | 'None' };
  output: { s3OutputPath: string; accept: 'text/csv' | 'application/jsonlines'; assembleWith: 'Line' | 'None' };
  dataProcessing: { inputFilter: string; joinSource: 'None' | 'Input'; outputFilter: string };
  /** BatchDataCaptureConfig (local: a CSV per input with record id, features, prediction). */
  dataCapture?: { destinationS3Uri: string; generateInferenceId: boolean; featureSchemaUri: string };
  /** The model's feature schema (local bring-your-own transforms read the feature count from it; SageMaker needs none). */
  featureSchemaUri?: string;
  resources: ResourceConfig;
  maxRuntimeSeconds: number;
  cpuPriority?: CpuPriority;
}

export type JobKind = 'training' | 'processing' | 'transform';

export interface JobDescription {
  jobName: string;
  kind: JobKind;
  status: JobStatus;
  secondaryStatus: string;
  failureReason?: string;
  creationTime: string;
  startTime?: string;
  endTime?: string;
  resources: ResourceConfig;
  finalMetrics: FinalMetric[];
  /** Training jobs: `<outputPath>/<jobName>/output/model.tar.gz`. */
  modelArtifactUri?: string;
  /** Processing and transform jobs: output name -> S3 prefix. */
  outputs?: Record<string, string>;
  /** Transform jobs: the objects written (`.out` files, capture files). */
  outputObjects?: string[];
}

export interface JobRunner {
  /**
   * How a waiting activity spaces its Describe* calls: from MLOPS_JOB_POLL_MS, growing by `factor`
   * per poll up to `maxIntervalMs`. Unset: a fixed interval (local jobs are cheap to describe).
   */
  readonly pollBackoff?: { factor: number; maxIntervalMs: number };
  /** Starts the job, or finds it already started under that name (`alreadyExisted: true`). */
  startTrainingJob(spec: TrainingJobSpec): Promise<{ alreadyExisted: boolean }>;
  startProcessingJob(spec: ProcessingJobSpec): Promise<{ alreadyExisted: boolean }>;
  startTransformJob(spec: TransformJobSpec): Promise<{ alreadyExisted: boolean }>;
  /** The job's current state, or undefined when no job has that name. */
  describeJob(kind: JobKind, jobName: string): Promise<JobDescription | undefined>;
  stopJob(kind: JobKind, jobName: string): Promise<void>;
  /**
   * Optional: waits until the job may have changed state (the local runner watches its job dir for
   * the exit code), at most `timeoutMs`, or until `signal` aborts; true when something changed. A
   * waiting activity calls it instead of sleeping its poll interval, so it notices the end of a job
   * at once; the interval stays the upper bound (a watch can miss events, e.g. on NFS).
   */
  waitForChange?(kind: JobKind, jobName: string, timeoutMs: number, signal: AbortSignal): Promise<boolean>;
}

/** What registering a version needs: the version's own fields, without what the registry assigns. */
export type RegisterModelVersionInput = Pick<
  ModelVersion,
  'family' | 'modelName' | 'artifactUri' | 'trainingJobName' | 'workflowId' | 'runId' | 'featureSchemaUri' | 'hyperparameters' | 'dataUri' | 'project' | 'algorithm'
> & {
  /**
   * Where the run will write the version's baselines (step 7). SageMaker accepts ModelMetrics only
   * when a package is created, so the aws registry attaches these locations then; they are not
   * part of the version's record (`baselines` is set once they exist).
   */
  expectedBaselines?: { dataQuality: BaselineUris; modelQuality: BaselineUris };
};

export interface ModelVersionPatch {
  status?: ModelApprovalStatus;
  decision?: ModelDecision;
  metrics?: SplitMetrics;
  baselines?: { dataQuality?: BaselineUris; modelQuality?: BaselineUris };
  governance?: GovernanceRecord;
}

/**
 * The model registry (SageMaker: model package groups and their versions): one group per project
 * and family (`modelKey` of common/project.ts). `project` absent means the demo project.
 */
export interface ModelRegistry {
  /** Registers a version in its project's group; registering the same training job again returns the existing version. */
  registerVersion(input: RegisterModelVersionInput): Promise<ModelVersion>;
  getVersion(family: ModelFamily, version: number, project?: string): Promise<ModelVersion | undefined>;
  /** A project's versions (one family, or all of the project's families), sorted by family and version. */
  listVersions(family?: ModelFamily, project?: string): Promise<ModelVersion[]>;
  updateVersion(family: ModelFamily, version: number, patch: ModelVersionPatch, project?: string): Promise<ModelVersion>;
}

export interface Parameter {
  name: string;
  value: string;
  version: number;
  lastModified: string;
}

/** The parameter store (SSM Parameter Store). */
export interface ParameterStore {
  put(name: string, value: string): Promise<Parameter>;
  /**
   * Optional: puts several parameters, in order, as one change (the local store writes its document
   * once, so a reader sees all of them or none). Without it, callers put them one by one (SSM has
   * no batch put).
   */
  putMany?(entries: { name: string; value: string }[]): Promise<Parameter[]>;
  get(name: string): Promise<Parameter | undefined>;
  getByPath(prefix: string): Promise<Parameter[]>;
}

export interface Notifier {
  /** Delivers once per id; returns false when that id was already delivered. */
  send(notification: Notification): Promise<boolean>;
  /** The most recent notifications, oldest first (local outbox; the aws backend may return none). */
  recent(limit: number): Promise<DeliveredNotification[]>;
}

export interface EndpointConfigSpec {
  endpointConfigName: string;
  /** The endpoint the config is made for (aws: tagged, so only that endpoint's old configs are ever cleaned up). */
  endpointName?: string;
  /**
   * ProductionVariants, each named after its model (activities/inference/endpoints.ts): one, or
   * two while a deployment shifts traffic (each answers its InitialVariantWeight's share; absent: 1).
   */
  variants: EndpointVariantSpec[];
  /** ShadowProductionVariants: mirrored a share of the requests (weight relative to the production weights), never answering. */
  shadowVariants?: EndpointVariantSpec[];
  dataCapture?: {
    enableCapture: boolean;
    initialSamplingPercentage: number;
    destinationS3Uri: string;
    captureModes: ('Input' | 'Output')[];
    csvContentTypes: string[];
    jsonContentTypes: string[];
  };
}

/**
 * `UpdateRollbackFailed` (SageMaker only): an update failed and so did its rollback; the endpoint
 * still serves traffic, so it is never deleted by the pipeline.
 */
export type EndpointStatus = 'Creating' | 'Updating' | 'InService' | 'Failed' | 'Deleting' | 'OutOfService' | 'UpdateRollbackFailed';

export interface EndpointVariantSpec {
  variantName: string;
  modelName: string;
  instanceType: string;
  instanceCount: number;
  /** InitialVariantWeight (absent: 1). */
  initialWeight?: number;
}

/** A variant as DescribeEndpoint reports it (weights absent where the backend does not say). */
export interface EndpointVariantDescription {
  variantName: string;
  modelName: string;
  currentInstanceCount: number;
  desiredInstanceCount: number;
  currentWeight?: number;
  desiredWeight?: number;
}

export interface EndpointDescription {
  endpointName: string;
  endpointConfigName: string;
  status: EndpointStatus;
  failureReason?: string;
  variants: EndpointVariantDescription[];
  /** ShadowProductionVariants of the configuration it serves. */
  shadowVariants?: EndpointVariantDescription[];
  creationTime: string;
  lastModifiedTime: string;
}

/** Models, endpoint configurations and endpoints (SageMaker hosting). */
export interface ModelHosting {
  /** CreateModel: the artifact plus the serving image; idempotent by name. */
  createModel(spec: { modelName: string; image: AlgorithmImage; artifactUri: string }): Promise<void>;
  /** CreateEndpointConfig; idempotent by name (a different spec under an existing name is a conflict). */
  createEndpointConfig(spec: EndpointConfigSpec): Promise<{ alreadyExisted: boolean }>;
  /** DescribeEndpointConfig, or undefined when no config has that name. */
  describeEndpointConfig(endpointConfigName: string): Promise<EndpointConfigSpec | undefined>;
  createEndpoint(endpointName: string, endpointConfigName: string): Promise<void>;
  /** Moves the endpoint to a new configuration without dropping requests. */
  updateEndpoint(endpointName: string, endpointConfigName: string): Promise<void>;
  /**
   * UpdateEndpointWeightsAndCapacities: new weights for production variants of the configuration
   * the endpoint serves, in place (no new instances); the endpoint is Updating until they apply.
   */
  updateEndpointWeights(endpointName: string, weights: { variantName: string; weight: number }[]): Promise<void>;
  /** DeleteEndpoint (its config and models stay); deleting an endpoint that does not exist is a no-op. */
  deleteEndpoint(endpointName: string): Promise<void>;
  describeEndpoint(endpointName: string): Promise<EndpointDescription | undefined>;
  listEndpoints(): Promise<EndpointDescription[]>;
  /**
   * After a deployment: deletes the endpoint configs of the endpoint's family beyond the newest
   * `keep` (never one an endpoint uses) and the models only they referenced. Optional: the local
   * backend keeps its records.
   */
  pruneEndpointHistory?(endpointName: string, currentConfigName: string): Promise<{ deletedConfigs: string[]; deletedModels: string[] }>;
}

/**
 * Application Auto Scaling for endpoint variants: target tracking on invocations per instance per
 * minute (scalable target `endpoint/<endpoint>/variant/<variant>`, dimension
 * sagemaker:variant:DesiredInstanceCount).
 */
export interface EndpointAutoscaling {
  /** RegisterScalableTarget + PutScalingPolicy; registering the same again is a no-op. */
  register(endpointName: string, variantName: string, policy: AutoscalingConfig): Promise<void>;
  /** DeleteScalingPolicy + DeregisterScalableTarget; nothing registered is a no-op. */
  deregister(endpointName: string, variantName: string): Promise<void>;
  describe(endpointName: string): Promise<{ variantName: string; policy: AutoscalingConfig }[]>;
  /**
   * Before UpdateEndpoint moves the endpoint to `endpointConfigName`: deregisters each autoscaled
   * variant that configuration lacks or runs on another instance type (SageMaker refuses that
   * update otherwise), remembering its policy with the configuration the endpoint leaves.
   * Returns the variants released; a retry releases nothing twice. Absent: the backend needs none.
   */
  releaseBeforeUpdate?(endpointName: string, endpointConfigName: string): Promise<string[]>;
  /**
   * Once the endpoint is InService: registers again the remembered policies of the variants of the
   * configuration it serves that are not registered (after a rollback to it). Returns them.
   */
  restoreAfterUpdate?(endpointName: string): Promise<string[]>;
}

/** Counts of a histogram: cumulative counts per upper bound (`le`), the last bound +Infinity. */
export interface HistogramCounts {
  bounds: number[];
  counts: number[];
  sum: number;
  count: number;
}

/** A variant's counters, cumulative since the process that counts them started. */
export interface VariantCounters {
  variantName: string;
  role: 'production' | 'shadow';
  invocations: number;
  /** 5xx and ModelError answers. */
  errors: number;
  latencySeconds: HistogramCounts;
  instances?: number;
  weight?: number;
}

/**
 * What the rollback alarms and the autoscaler read about one endpoint, cumulative (a restarted
 * process counts from 0 again: `startedAt` changes). `problems` says what could not be read.
 */
export interface EndpointMetricsSnapshot {
  endpointName: string;
  takenAt: string;
  /** When the process that counts started (counters restart from 0 with it). */
  startedAt?: number;
  variants: VariantCounters[];
  /** Mirrored requests: |shadow - production| / |production| and the ones dropped because the shadow was saturated. */
  shadow: { variantName: string; pairs: number; relativeDifference: HistogramCounts; dropped: number }[];
  /** The gateway's count of predictions by position in the training label range (0 = its min, 1 = its max), per variant. */
  sanity?: { startedAt?: number; variants: { variantName: string; positions: HistogramCounts }[] };
  problems: string[];
}

/** Reads an endpoint's per-variant counters (local: the endpoint host's and the gateway's /metrics). */
export interface EndpointMetrics {
  read(endpointName: string): Promise<EndpointMetricsSnapshot>;
}

/** SageMaker's deployment guardrails: what a blue/green UpdateEndpoint needs (aws backend). */
export interface GuardedUpdateSpec {
  endpointName: string;
  endpointConfigName: string;
  traffic: { type: 'ALL_AT_ONCE' | 'CANARY' | 'LINEAR'; percent?: number; waitIntervalSeconds: number };
  finalBakeSeconds: number;
  maximumExecutionTimeoutSeconds: number;
  alarmNames: string[];
}

/** An alarm's state as CloudWatch reports it. */
export interface GuardrailAlarm {
  alarmName: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason: string;
}

/**
 * SageMaker's blue/green deployment with auto-rollback: CloudWatch alarms on the new variant,
 * UpdateEndpoint with a DeploymentConfig, and a manual-abort alarm a person trips to roll back.
 */
export interface DeploymentGuardrails {
  /** PutMetricAlarm for each rollback alarm (and the manual-abort alarm); the same names again update them. */
  /** With `endpointConfigName` (the configuration being deployed) the alarms watch that new fleet alone. */
  putRollbackAlarms(input: { endpointName: string; variantName: string; alarms: RollbackAlarms; deploymentKey: string; endpointConfigName?: string }): Promise<{ alarmNames: string[]; abortAlarmName: string }>;
  /** UpdateEndpoint with DeploymentConfig (BlueGreenUpdatePolicy, AutoRollbackConfiguration). */
  startGuardedUpdate(spec: GuardedUpdateSpec): Promise<void>;
  alarmStates(alarmNames: string[]): Promise<GuardrailAlarm[]>;
  /** SetAlarmState ALARM: SageMaker rolls the update back. */
  tripAlarm(alarmName: string, reason: string): Promise<void>;
  deleteAlarms(alarmNames: string[]): Promise<void>;
}

/** Everything the activities need from a backend. */
export interface Backend {
  name: 'local' | 'aws';
  objectStore: ObjectStore;
  jobs: JobRunner;
  registry: ModelRegistry;
  parameters: ParameterStore;
  notifier: Notifier;
  hosting: ModelHosting;
  autoscaling: EndpointAutoscaling;
  /** Per-variant counters of the endpoints (absent: the backend cannot read them; the deployment relies on guardrails). */
  endpointMetrics?: EndpointMetrics;
  /** SageMaker's deployment guardrails (aws): present, traffic shifting and rollback are SageMaker's. */
  guardrails?: DeploymentGuardrails;
}
