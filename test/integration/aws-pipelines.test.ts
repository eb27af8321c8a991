import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ListProcessingJobsCommand, ListTrainingJobsCommand, DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { LocalJobRunner } from '../../activities/backends/local/job-runner';
import { LocalObjectStore } from '../../activities/backends/local/object-store';
import type { Backend, JobDescription, JobKind, JobRunner, ObjectStore, ProcessingJobSpec, TrainingJobSpec, TransformJobSpec } from '../../activities/backends/types';
import { parameterNames } from '../../common/artifacts';
import { REPO_ROOT, taskQueuesOf } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { waitForTrainingReport } from '../../client/training/report';
import { startTraining } from '../../client/training/start-training';
import { createWorkers } from '../../workers/workers';
import { DATASET, tempDir, testConfig } from '../helpers/integration';
import { createMotoBackend, startMoto, type MotoBackend, type MotoServer } from '../helpers/moto';
import { createLocalEnv, PYTHON } from '../helpers/temporal-env';

/**
 * moto accepts CreateProcessingJob / CreateTrainingJob but runs nothing: it reports every job
 * Completed at once, writes no output and reports one fixed metric. This stand-in plays the part
 * of SageMaker's containers: for each job the aws backend created in moto, it runs the same
 * algorithm (the repo's algorithms/, through the local job runner) on the job's inputs copied
 * out of moto's S3, writes the job's outputs back into moto's S3, and holds the job InProgress
 * until they are there. The aws backend's own calls (create, describe, S3, SSM, SNS, registry,
 * hosting) all go over HTTP to moto; only finalMetrics, which moto cannot report, come from the
 * stand-in's run of the job.
 */
class ContainersForMoto implements JobRunner {
  private readonly synced = new Set<string>();

  constructor(
    private readonly aws: JobRunner,
    private readonly awsStore: ObjectStore,
    private readonly local: LocalJobRunner,
    private readonly localStore: LocalObjectStore,
    private readonly bucket: string,
  ) {}

  async startTrainingJob(spec: TrainingJobSpec) {
    const started = await this.aws.startTrainingJob(spec);
    await this.copy(this.awsStore, this.localStore);
    await this.local.startTrainingJob(spec);
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
    await this.local.startTransformJob(spec);
    return started;
  }

  async describeJob(kind: JobKind, jobName: string): Promise<JobDescription | undefined> {
    const onMoto = await this.aws.describeJob(kind, jobName);
    if (!onMoto) return undefined;
    const ran = await this.local.describeJob(kind, jobName);
    if (!ran || ran.status === 'InProgress') return { ...onMoto, status: 'InProgress', secondaryStatus: ran?.secondaryStatus ?? 'Starting' };
    if (!this.synced.has(`${kind}/${jobName}`)) {
      await this.copy(this.localStore, this.awsStore); // the container's outputs, uploaded as SageMaker would
      this.synced.add(`${kind}/${jobName}`);
    }
    return { ...onMoto, status: ran.status, ...(ran.failureReason ? { failureReason: ran.failureReason } : {}), finalMetrics: ran.finalMetrics };
  }

  async stopJob(kind: JobKind, jobName: string) {
    await this.local.stopJob(kind, jobName);
    await this.aws.stopJob(kind, jobName);
  }

  /** Copies every object of the bucket the target lacks or holds with other content. */
  private async copy(from: ObjectStore, to: ObjectStore): Promise<void> {
    for (const uri of await from.list(`s3://${this.bucket}/`)) {
      const [a, b] = await Promise.all([from.head(uri), to.head(uri)]);
      if (a && a.etag !== b?.etag) await to.put(uri, await from.get(uri), a.contentType ? { contentType: a.contentType } : {});
    }
  }
}

describe('aws training pipeline (integration: dev server, aws backend on moto over HTTP, jobs played by the local algorithms)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let moto: MotoServer;
  let aws: MotoBackend;
  let home: string;
  let config: Config;
  let backend: Backend;
  let workers: Worker[];
  let running: Promise<unknown>;

  before(async () => {
    env = await createLocalEnv();
    moto = await startMoto();
    await moto.reset();
    home = await tempDir('aws-integration');
    config = testConfig({ home });
    aws = await createMotoBackend(moto, { bucket: config.bucket });
    const localStore = new LocalObjectStore(path.join(home, 'containers', 'objects'));
    const local = new LocalJobRunner({ jobsRoot: path.join(home, 'containers', 'jobs'), python: PYTHON, algorithmsDir: path.join(REPO_ROOT, 'algorithms'), objectStore: localStore });
    backend = { ...aws.backend, jobs: new ContainersForMoto(aws.backend.jobs, aws.backend.objectStore, local, localStore, config.bucket) };
    workers = await createWorkers({ connection: env.nativeConnection, namespace: 'default', taskQueues: taskQueuesOf(config), backend, pollIntervalMs: 50 });
    running = Promise.all(workers.map((w) => w.run()));
  });

  after(async () => {
    for (const w of workers ?? []) w.shutdown();
    await running?.catch(() => undefined);
    await env?.teardown();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  it('trains the demo dataset on the aws backend: both models accepted as locally, registry, endpoints, SSM keys and the SNS notification in the emulator', async () => {
    const started = await startTraining(env.client, backend, config, { data: DATASET, trigger: 'test' });
    const report = await waitForTrainingReport(started.handle, (runId) => runId);
    assert.equal(report.status, 'completed', JSON.stringify(report.error));
    const byFamily = Object.fromEntries(report.models.map((m) => [m.family, m]));
    // The same decisions as the local pipeline on this dataset (test/integration/training-pipeline.test.ts).
    assert.equal(byFamily.xgboost?.decision.outcome, 'accepted');
    assert.equal(byFamily['linear-learner']?.decision.outcome, 'accepted');
    assert.ok(byFamily.xgboost!.metrics!.test.rmse <= 2500);
    assert.ok(byFamily['linear-learner']!.metrics!.test.rmse <= 3100);

    // SageMaker (moto) got one training job per family with the built-in image and hyperparameter
    // names, and the processing jobs (pre-processing, data-quality and two model-quality baselines).
    const sm = aws.clients.sagemaker;
    const trainingJobs = (await sm.send(new ListTrainingJobsCommand({ MaxResults: 100 }))).TrainingJobSummaries ?? [];
    assert.equal(trainingJobs.length, 2);
    for (const m of report.models) {
      const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: m.trainingJob!.name }));
      assert.match(job.AlgorithmSpecification?.TrainingImage ?? '', m.family === 'xgboost' ? /^683313688378\.dkr\.ecr\.us-east-1\.amazonaws\.com\/sagemaker-xgboost:1\.7-1$/ : /^382416733822\.dkr\.ecr\.us-east-1\.amazonaws\.com\/linear-learner:1$/);
      assert.equal(job.ModelArtifacts?.S3ModelArtifacts, m.artifactUri);
      assert.ok(await backend.objectStore.head(m.artifactUri!), `model artifact in moto's S3: ${m.artifactUri}`);
    }
    assert.equal(((await sm.send(new ListProcessingJobsCommand({ MaxResults: 100 }))).ProcessingJobSummaries ?? []).length, 4);

    for (const m of report.models) {
      // Registry: model packages with approval status, the version's own fields kept.
      const version = await backend.registry.getVersion(m.family as 'xgboost', m.version!);
      assert.equal(version?.status, 'Approved');
      assert.deepEqual(version?.metrics, m.metrics);
      assert.ok(version?.baselines?.modelQuality && version.baselines.dataQuality);
      // Endpoints (moto: InService at once) serving the champion.
      const endpoint = await backend.hosting.describeEndpoint(`mlops-${m.family}`);
      assert.equal(endpoint?.status, 'InService');
      assert.equal(endpoint?.variants[0]?.modelName, m.modelName);
      // SSM keys, written over HTTP to moto's Parameter Store.
      assert.equal((await backend.parameters.get(parameterNames.champion(m.family, 'model-name')))?.value, m.modelName);
      assert.equal((await backend.parameters.get(parameterNames.champion(m.family, 'endpoint-name')))?.value, `mlops-${m.family}`);
      assert.equal((await backend.parameters.get(parameterNames.latestModelName(m.family)))?.value, m.modelName);
    }
    const exported = (await backend.parameters.getByPath('/mlops')).map((p) => p.name);
    assert.ok(exported.includes('/mlops/xgboost/champion/model-artifact-uri') && exported.includes('/mlops/linear-learner/champion/data-quality-statistics-uri'), exported.join(', '));

    // The SNS notification arrived in the emulator (moto's record of the topic's messages).
    const messages = await moto.snsMessages(aws.topicArn);
    const kinds = messages.map((m) => (JSON.parse(m.message) as { kind: string }).kind);
    assert.deepEqual(kinds, ['training.succeeded']);
    assert.deepEqual((await backend.notifier.recent(10)).map((n) => n.kind), ['training.succeeded']);
  });

  it('a new run of the same data: both models rejected as not better (as locally), versions Rejected in the model package groups, rejections published to SNS', async () => {
    const started = await startTraining(env.client, backend, config, { data: DATASET, trigger: 'test', newRun: true });
    const report = await waitForTrainingReport(started.handle, (runId) => runId);
    assert.equal(report.status, 'completed', JSON.stringify(report.error));
    for (const m of report.models) {
      assert.equal(m.decision.outcome, 'rejected');
      assert.match(m.decision.reason, /not better than the previous best/);
    }
    const versions = await backend.registry.listVersions();
    assert.deepEqual(versions.map((v) => `${v.family}:${v.version}:${v.status}`), ['linear-learner:1:Approved', 'linear-learner:2:Rejected', 'xgboost:1:Approved', 'xgboost:2:Rejected']);
    const published = (await moto.snsMessages(aws.topicArn)).map((m) => JSON.parse(m.message) as { kind: string; details?: { family?: string } });
    assert.deepEqual(published.filter((n) => n.kind === 'model.rejected').map((n) => n.details?.family).sort(), ['linear-learner', 'xgboost']);
    // The champions' SSM keys still name the first run's models.
    for (const family of ['xgboost', 'linear-learner'] as const) {
      assert.equal((await backend.parameters.get(parameterNames.champion(family, 'model-version')))?.value, '1');
    }
  });
});
