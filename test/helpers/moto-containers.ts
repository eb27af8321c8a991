import type { LocalJobRunner } from '../../activities/backends/local/job-runner';
import type { LocalObjectStore } from '../../activities/backends/local/object-store';
import { algorithmImageUri, builtInContract, type AwsImages } from '../../activities/backends/aws/images';
import { needsBackendJoin, transformJoinPlan } from '../../activities/backends/aws/job-requests';
import type { AlgorithmImage, JobDescription, JobKind, JobRunner, ObjectStore, ProcessingJobSpec, TrainingJobSpec, TransformJobSpec } from '../../activities/backends/types';
import type { FinalMetric } from '../../common/types/jobs';

/**
 * The metrics SageMaker's built-in algorithms put in FinalMetricDataList: XGBoost its eval_metric
 * list on the train and validation channels (r2 and mse are the container's own metrics), Linear
 * Learner mse, absolute_loss and objective_loss per channel, no rmse on test and no r2.
 */
function reportedByBuiltIn(image: AlgorithmImage, hyperparameters: Record<string, string>, metric: FinalMetric): boolean {
  const [split, name] = metric.name.split(':') as [string, string];
  if (image === 'xgboost') return ['train', 'validation'].includes(split) && (hyperparameters.eval_metric ?? 'rmse').split(',').includes(name);
  return ['train', 'validation', 'test'].includes(split) && ['mse', 'absolute_loss', 'objective_loss'].includes(name);
}

/**
 * moto accepts CreateProcessingJob / CreateTrainingJob but runs nothing: it reports every job
 * Completed at once, writes no output and reports one fixed metric. This stand-in plays the part
 * of SageMaker's containers: for each job the aws backend created in moto, it runs the same
 * algorithm (the repo's algorithms/, through the local job runner) on the job's inputs copied
 * out of moto's S3, writes the job's outputs back into moto's S3, and holds the job InProgress
 * until they are there. The aws backend's own calls (create, describe, S3, SSM, SNS, registry,
 * hosting) all go over HTTP to moto; only finalMetrics, which moto cannot report, come from the
 * stand-in's run of the job, filtered to what the built-in algorithm reports, and the training
 * job gets only the channels the aws backend sent (built-in XGBoost: no test channel). A transform
 * with batch data capture leaves what SageMaker leaves: manifests of the input and `.out` objects
 * under `<destination>/input|output/yyyy/mm/dd/hh/`, not the local container's `.captured.csv`.
 * A Linear Learner transform is played as the backend sent it (no join, JSON Lines answers in a
 * side prefix: the local container answers `{"score": v}` like the built-in one), so the backend's
 * own join of those answers runs here as it would on SageMaker.
 */
export class ContainersForMoto implements JobRunner {
  private readonly synced = new Set<string>();
  private readonly training = new Map<string, TrainingJobSpec>();
  private readonly transforms = new Map<string, TransformJobSpec>();

  constructor(
    private readonly images: AwsImages,
    private readonly aws: JobRunner,
    private readonly awsStore: ObjectStore,
    private readonly local: LocalJobRunner,
    private readonly localStore: LocalObjectStore,
    private readonly bucket: string,
  ) {}

  async startTrainingJob(spec: TrainingJobSpec) {
    const started = await this.aws.startTrainingJob(spec);
    await this.copy(this.awsStore, this.localStore);
    const builtIn = builtInContract(spec.image, algorithmImageUri(this.images, spec.image));
    const played = builtIn ? { ...spec, channels: spec.channels.filter((c) => builtIn.channels.includes(c.name)) } : spec;
    this.training.set(spec.jobName, played);
    await this.local.startTrainingJob(played);
    return started;
  }

  async startProcessingJob(spec: ProcessingJobSpec) {
    const started = await this.aws.startProcessingJob(spec);
    await this.copy(this.awsStore, this.localStore);
    await this.local.startProcessingJob(spec);
    return started;
  }

  async startTransformJob(spec: TransformJobSpec) {
    const started = await this.aws.startTransformJob(spec);
    await this.copy(this.awsStore, this.localStore);
    // Played as the backend sent it: a built-in Linear Learner transform with a CSV join goes out
    // without the join, answering JSON Lines into a side prefix, which the backend joins afterwards.
    const played: TransformJobSpec = needsBackendJoin(spec, this.images)
      ? {
          ...spec,
          output: { ...spec.output, s3OutputPath: transformJoinPlan(spec).rawPath, accept: 'application/jsonlines' },
          dataProcessing: { inputFilter: spec.dataProcessing.inputFilter, joinSource: 'None', outputFilter: '$' },
        }
      : spec;
    this.transforms.set(spec.jobName, played);
    await this.local.startTransformJob(played);
    return started;
  }

  async describeJob(kind: JobKind, jobName: string): Promise<JobDescription | undefined> {
    const ran = await this.local.describeJob(kind, jobName);
    if (!ran) return this.aws.describeJob(kind, jobName);
    // Not described on moto until the container is done: moto says Completed at once, and the
    // backend's completion work (the Linear Learner join) must see the outputs, as on SageMaker.
    if (ran.status === 'InProgress') return { ...ran, status: 'InProgress' };
    if (!this.synced.has(`${kind}/${jobName}`)) {
      await this.copy(this.localStore, this.awsStore); // the container's outputs, uploaded as SageMaker would
      const transform = kind === 'transform' ? this.transforms.get(jobName) : undefined;
      if (transform?.dataCapture && ran.status === 'Completed') await this.writeCaptureManifests(transform, ran.startTime ?? ran.creationTime);
      this.synced.add(`${kind}/${jobName}`);
    }
    // Described again now that the outputs are in S3 (a Completed job's outputs exist on SageMaker).
    const completed = await this.aws.describeJob(kind, jobName);
    if (!completed) return undefined;
    const spec = kind === 'training' ? this.training.get(jobName) : undefined;
    const finalMetrics = spec && builtInContract(spec.image, algorithmImageUri(this.images, spec.image)) ? ran.finalMetrics.filter((m) => reportedByBuiltIn(spec.image, spec.hyperparameters, m)) : ran.finalMetrics;
    return { ...completed, status: ran.status, ...(ran.failureReason ? { failureReason: ran.failureReason } : {}), finalMetrics };
  }

  async stopJob(kind: JobKind, jobName: string) {
    await this.local.stopJob(kind, jobName);
    await this.aws.stopJob(kind, jobName);
  }

  /** SageMaker's batch capture: `[{"prefix": ...}, key, ...]` of the objects read and written, under the job's start hour. */
  private async writeCaptureManifests(spec: TransformJobSpec, startTime: string): Promise<void> {
    const hour = startTime.slice(0, 13).replace(/[-T]/g, '/');
    const destination = spec.dataCapture!.destinationS3Uri.replace(/\/?$/, '/');
    const sides = [
      ['input', spec.input.s3Uri.replace(/\/?$/, '/'), (_uri: string) => true],
      ['output', spec.output.s3OutputPath.replace(/\/?$/, '/'), (u: string) => u.endsWith('.out')],
    ] as const;
    for (const [side, prefix, keep] of sides) {
      const keys = (await this.awsStore.list(prefix)).filter(keep).map((u) => u.slice(prefix.length));
      await this.awsStore.put(`${destination}${side}/${hour}/${spec.jobName}.json`, JSON.stringify([{ prefix }, ...keys]), { contentType: 'application/json' });
    }
  }

  /** Copies every object of the bucket the target lacks or holds with other content (never the local transform's own `.captured.csv`). */
  private async copy(from: ObjectStore, to: ObjectStore): Promise<void> {
    for (const uri of await from.list(`s3://${this.bucket}/`)) {
      if (from === this.localStore && uri.endsWith('.captured.csv')) continue;
      const [a, b] = await Promise.all([from.head(uri), to.head(uri)]);
      if (a && a.etag !== b?.etag) await to.put(uri, await from.get(uri), a.contentType ? { contentType: a.contentType } : {});
    }
  }
}

