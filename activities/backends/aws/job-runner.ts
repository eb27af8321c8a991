import {
  CreateModelCommand,
  CreateProcessingJobCommand,
  CreateTrainingJobCommand,
  CreateTransformJobCommand,
  DescribeModelCommand,
  DescribeProcessingJobCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
  StopProcessingJobCommand,
  StopTrainingJobCommand,
  StopTransformJobCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { Context } from '@temporalio/activity';
import { SAGEMAKER_NAME_PATTERN } from '../../../common/ids';
import { invalidInput } from '../../../common/errors';
import type { JobStatus } from '../../../common/types/jobs';
import { MissingInputError } from '../errors';
import type { AlgorithmImage, JobDescription, JobKind, JobRunner, ProcessingJobSpec, TrainingJobSpec, TransformJobSpec } from '../types';
import { isAlreadyExists, isSageMakerNotFound, toActivityError } from './aws-errors';
import type { AwsControls } from './controls';
import type { AwsImages } from './images';
import { modelRequest, needsBackendJoin, processingJobRequest, RAW_SUFFIX, trainingJobRequest, transformJobRequest, transformJoinPlan, type JobRequestContext } from './job-requests';
import { completeTransformJoin, readJoinPlan, writeJoinPlan } from './transform-join';
import type { AwsObjectStore } from './object-store';

export interface AwsJobRunnerOptions {
  sagemaker: SageMakerClient;
  objectStore: AwsObjectStore;
  roleArn: string;
  images: AwsImages;
  volumeSizeGb: number;
  /** KMS keys, VPC, network isolation, tags (all optional). */
  controls?: AwsControls;
  /**
   * An InProgress description is reused for this long (default 0): the activities poll at
   * MLOPS_JOB_POLL_MS, which suits local jobs but would throttle SageMaker's Describe* APIs.
   */
  minDescribeIntervalMs?: number;
}

/** A job's input data does not exist (checked before starting, as the local runner does). */
export class AwsJobInputError extends MissingInputError {
  constructor(message: string) {
    super(message);
    this.name = 'JobInputError';
  }
}

/**
 * SageMaker training, processing and transform jobs. Starting is idempotent by name: the job is
 * described first and adopted when it exists, and a create that loses a race (ResourceInUse)
 * adopts the winner's job too. Inputs are checked in S3 before the create, so missing data is a
 * MissingInputError (non-retryable NotFound) rather than a job that fails minutes later.
 */
export class AwsJobRunner implements JobRunner {
  private readonly recent = new Map<string, { at: number; description: JobDescription }>();
  /** SageMaker jobs run for minutes and Describe* calls are rate-limited: back off to one call per 30 s. */
  readonly pollBackoff = { factor: 1.5, maxIntervalMs: 30_000 };

  private readonly context: JobRequestContext;

  constructor(private readonly options: AwsJobRunnerOptions) {
    this.context = { roleArn: options.roleArn, images: options.images, volumeSizeGb: options.volumeSizeGb, controls: options.controls ?? {} };
  }

  async startTrainingJob(spec: TrainingJobSpec): Promise<{ alreadyExisted: boolean }> {
    const request = trainingJobRequest(spec, this.context);
    return this.start('training', spec.jobName, async () => {
      for (const channel of request.InputDataConfig ?? []) await this.requireObjects(`channel '${channel.ChannelName}'`, channel.DataSource!.S3DataSource!.S3Uri!);
      await this.options.sagemaker.send(new CreateTrainingJobCommand(request));
    });
  }

  async startProcessingJob(spec: ProcessingJobSpec): Promise<{ alreadyExisted: boolean }> {
    const request = processingJobRequest(spec, this.context);
    return this.start('processing', spec.jobName, async () => {
      for (const input of spec.inputs) await this.requireObjects(`input '${input.name}'`, input.s3Uri);
      await this.options.sagemaker.send(new CreateProcessingJobCommand(request));
    });
  }

  /**
   * A transform job needs a SageMaker model: one is created under the job's name (model names are
   * their own namespace) from the artifact and the algorithm's image. The local runner's feature
   * schema (`dataCapture.featureSchemaUri`) has no SageMaker counterpart and is not sent. A
   * Linear Learner transform with a CSV join runs without the join, which the backend completes
   * once the job is done (job-requests.ts, transform-join.ts).
   */
  async startTransformJob(spec: TransformJobSpec): Promise<{ alreadyExisted: boolean }> {
    const request = transformJobRequest(spec, this.context);
    return this.start('transform', spec.jobName, async () => {
      if (!(await this.options.objectStore.head(spec.modelArtifactUri))) throw new AwsJobInputError(`model: no object at ${spec.modelArtifactUri}`);
      await this.requireObjects('input', spec.input.s3Uri);
      if (needsBackendJoin(spec, this.options.images)) await writeJoinPlan(this.options.objectStore, transformJoinPlan(spec));
      await this.ensureModel(spec.jobName, spec.image, spec.modelArtifactUri);
      await this.options.sagemaker.send(new CreateTransformJobCommand(request));
    });
  }

  async describeJob(kind: JobKind, jobName: string): Promise<JobDescription | undefined> {
    assertJobName(jobName);
    const key = `${kind}/${jobName}`;
    const cached = this.recent.get(key);
    const ttl = this.options.minDescribeIntervalMs ?? 0;
    if (cached && Date.now() - cached.at < ttl) return cached.description;
    try {
      const description = await this.describeRaw(kind, jobName);
      if (ttl > 0 && description.status === 'InProgress') this.recent.set(key, { at: Date.now(), description });
      else this.recent.delete(key);
      return description;
    } catch (err) {
      if (isSageMakerNotFound(err)) return undefined;
      throw toActivityError(err, `SageMaker Describe ${kind} job ${jobName}`);
    }
  }

  async stopJob(kind: JobKind, jobName: string): Promise<void> {
    this.recent.delete(`${kind}/${jobName}`);
    const current = await this.describeJob(kind, jobName);
    if (!current || current.status !== 'InProgress') return;
    const sm = this.options.sagemaker;
    try {
      if (kind === 'training') await sm.send(new StopTrainingJobCommand({ TrainingJobName: jobName }));
      else if (kind === 'processing') await sm.send(new StopProcessingJobCommand({ ProcessingJobName: jobName }));
      else await sm.send(new StopTransformJobCommand({ TransformJobName: jobName }));
    } catch (err) {
      // The job ended between the describe and the stop: nothing left to stop.
      const now = await this.describeJob(kind, jobName).catch(() => undefined);
      if (now && now.status !== 'InProgress') return;
      throw toActivityError(err, `SageMaker Stop ${kind} job ${jobName}`);
    }
  }

  private async start(kind: JobKind, jobName: string, create: () => Promise<void>): Promise<{ alreadyExisted: boolean }> {
    assertJobName(jobName);
    if (await this.describeJob(kind, jobName)) return { alreadyExisted: true };
    try {
      await create();
    } catch (err) {
      if (err instanceof MissingInputError) throw err;
      if (isAlreadyExists(err) && (await this.describeJob(kind, jobName))) return { alreadyExisted: true };
      throw toActivityError(err, `SageMaker Create ${kind} job ${jobName}`);
    }
    return { alreadyExisted: false };
  }

  private async requireObjects(what: string, uri: string): Promise<void> {
    // A prefix ending in '/' holds objects; a key names one object (or, for SageMaker, a prefix).
    if (!(await this.options.objectStore.hasObjectsUnder(uri))) throw new AwsJobInputError(`${what}: no objects under ${uri}`);
  }

  private async ensureModel(modelName: string, image: AlgorithmImage, artifactUri: string): Promise<void> {
    try {
      await this.options.sagemaker.send(new DescribeModelCommand({ ModelName: modelName }));
      return;
    } catch (err) {
      if (!isSageMakerNotFound(err)) throw toActivityError(err, `SageMaker DescribeModel ${modelName}`);
    }
    try {
      await this.options.sagemaker.send(new CreateModelCommand(modelRequest(modelName, image, artifactUri, this.context)));
    } catch (err) {
      if (!isAlreadyExists(err)) throw toActivityError(err, `SageMaker CreateModel ${modelName}`);
    }
  }

  private async describeRaw(kind: JobKind, jobName: string): Promise<JobDescription> {
    const sm = this.options.sagemaker;
    if (kind === 'training') {
      const d = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: jobName }));
      const status = jobStatus(d.TrainingJobStatus);
      return {
        jobName,
        kind,
        status,
        secondaryStatus: d.SecondaryStatus ?? status,
        ...(d.FailureReason ? { failureReason: d.FailureReason } : {}),
        creationTime: iso(d.CreationTime) ?? new Date().toISOString(),
        ...optionalTime('startTime', d.TrainingStartTime),
        ...optionalTime('endTime', d.TrainingEndTime),
        resources: { instanceType: d.ResourceConfig?.InstanceType ?? 'unknown', instanceCount: d.ResourceConfig?.InstanceCount ?? 1 },
        finalMetrics: (d.FinalMetricDataList ?? []).filter((m) => m.MetricName !== undefined && m.Value !== undefined).map((m) => ({ name: m.MetricName!, value: m.Value! })),
        ...(status === 'Completed' && d.ModelArtifacts?.S3ModelArtifacts ? { modelArtifactUri: d.ModelArtifacts.S3ModelArtifacts } : {}),
      };
    }
    if (kind === 'processing') {
      const d = await sm.send(new DescribeProcessingJobCommand({ ProcessingJobName: jobName }));
      const status = jobStatus(d.ProcessingJobStatus);
      const cluster = d.ProcessingResources?.ClusterConfig;
      const outputs = Object.fromEntries((d.ProcessingOutputConfig?.Outputs ?? []).filter((o) => o.S3Output?.S3Uri).map((o) => [o.OutputName, o.S3Output!.S3Uri!]));
      // The container's own reason (/opt/ml/output/message: file, column, line) is the ExitMessage;
      // FailureReason holds SageMaker's generic text ("AlgorithmError: See job logs for more information").
      const reason = d.ExitMessage?.trim() || d.FailureReason;
      return {
        jobName,
        kind,
        status,
        secondaryStatus: status === 'InProgress' ? 'Processing' : status,
        ...(reason && status !== 'Completed' ? { failureReason: reason } : {}),
        creationTime: iso(d.CreationTime) ?? new Date().toISOString(),
        ...optionalTime('startTime', d.ProcessingStartTime),
        ...optionalTime('endTime', d.ProcessingEndTime),
        resources: { instanceType: cluster?.InstanceType ?? 'unknown', instanceCount: cluster?.InstanceCount ?? 1 },
        finalMetrics: [],
        ...(status === 'Completed' ? { outputs } : {}),
      };
    }
    const d = await sm.send(new DescribeTransformJobCommand({ TransformJobName: jobName }));
    const status = jobStatus(d.TransformJobStatus);
    const outputs: Record<string, string> = {};
    if (d.TransformOutput?.S3OutputPath) outputs.output = d.TransformOutput.S3OutputPath;
    if (status === 'Completed' && outputs.output?.endsWith(RAW_SUFFIX)) {
      const plan = await readJoinPlan(this.options.objectStore, outputs.output);
      if (plan) {
        await completeTransformJoin(this.options.objectStore, plan, heartbeat);
        outputs.output = plan.outputPath;
      }
    }
    if (d.DataCaptureConfig?.DestinationS3Uri) outputs.capture = d.DataCaptureConfig.DestinationS3Uri;
    let outputObjects: string[] | undefined;
    if (status === 'Completed') {
      outputObjects = [];
      for (const prefix of Object.values(outputs)) outputObjects.push(...(await this.options.objectStore.list(prefix.replace(/\/?$/, '/'))));
    }
    return {
      jobName,
      kind,
      status,
      secondaryStatus: status === 'InProgress' ? 'Transforming' : status,
      ...(d.FailureReason ? { failureReason: d.FailureReason } : {}),
      creationTime: iso(d.CreationTime) ?? new Date().toISOString(),
      ...optionalTime('startTime', d.TransformStartTime),
      ...optionalTime('endTime', d.TransformEndTime),
      resources: { instanceType: d.TransformResources?.InstanceType ?? 'unknown', instanceCount: d.TransformResources?.InstanceCount ?? 1 },
      finalMetrics: [],
      ...(status === 'Completed' ? { outputs, outputObjects } : {}),
    };
  }
}

/** SageMaker's 63-character naming rule (common/ids builds names that follow it; this asserts it). */
export function assertJobName(jobName: string): void {
  if (!SAGEMAKER_NAME_PATTERN.test(jobName)) {
    throw invalidInput(`invalid SageMaker job name '${jobName}': 1-63 letters, digits and hyphens, starting and ending with a letter or digit`);
  }
}

/** Keeps the activity alive during a long join (outside an activity, e.g. in tests, there is nothing to tell). */
function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    /* not in an activity */
  }
}

function jobStatus(status: string | undefined): JobStatus {
  switch (status) {
    case 'InProgress':
    case 'Completed':
    case 'Failed':
    case 'Stopping':
    case 'Stopped':
      return status;
    case 'Deleting':
      return 'Stopped';
    default:
      return 'InProgress';
  }
}

function iso(date: Date | undefined): string | undefined {
  return date ? date.toISOString() : undefined;
}

function optionalTime<K extends 'startTime' | 'endTime'>(key: K, date: Date | undefined): Partial<Record<K, string>> {
  return date ? ({ [key]: date.toISOString() } as Partial<Record<K, string>>) : {};
}
