import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DescribeTrainingJobCommand, DescribeTransformJobCommand, ListProcessingJobsCommand, ListTrainingJobsCommand, ListTransformJobsCommand } from '@aws-sdk/client-sagemaker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { LocalJobRunner } from '../../activities/backends/local/job-runner';
import { LocalObjectStore } from '../../activities/backends/local/object-store';
import type { Backend } from '../../activities/backends/types';
import { ContainersForMoto } from '../helpers/moto-containers';
import { readInsightRows } from '../../activities/insights/parquet';
import { parameterNames } from '../../common/artifacts';
import { passThroughDataProcessing } from '../../common/data-processing';
import type { MonitoringInput } from '../../common/types/monitoring';
import { readLifecycleState } from '../../services/lifecycle/ensure';
import { defaultMonitoringConfig } from '../../client/schedules/monitoring-schedule';
import { startScoring } from '../../services/scoring/start-scoring';
import { waitForScoringReport } from '../../client/scoring/report';
import { monitoringPipeline } from '../../workflows';
import { REPO_ROOT } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { waitForTrainingReport } from '../../client/training/report';
import { startTraining } from '../../services/training/start-training';
import { DATASET, tempDir, testConfig } from '../helpers/integration';
import { createMotoBackend, startMoto, type MotoBackend, type MotoServer } from '../helpers/moto';
import { createLocalEnv, PYTHON } from '../helpers/temporal-env';
import { runWorkers, type RunningWorkers } from '../helpers/workers';

describe('aws pipelines (integration: dev server, aws backend on moto over HTTP, jobs played by the local algorithms)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let moto: MotoServer;
  let aws: MotoBackend;
  let home: string;
  let config: Config;
  let backend: Backend;
  let workers: RunningWorkers | undefined;

  before(async () => {
    env = await createLocalEnv();
    moto = await startMoto();
    await moto.reset();
    home = await tempDir('aws-integration');
    config = testConfig({ home });
    aws = await createMotoBackend(moto, { bucket: config.bucket });
    const localStore = new LocalObjectStore(path.join(home, 'containers', 'objects'));
    const local = new LocalJobRunner({ jobsRoot: path.join(home, 'containers', 'jobs'), python: PYTHON, algorithmsDir: path.join(REPO_ROOT, 'algorithms'), objectStore: localStore });
    backend = { ...aws.backend, jobs: new ContainersForMoto(aws.images, aws.backend.jobs, aws.backend.objectStore, local, localStore, config.bucket) };
    workers = await runWorkers(env, config, backend, { lifecycle: true });
  });

  after(async () => {
    await workers?.stop();
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
    // What the built-in algorithms report: XGBoost trains without a test channel and reports its
    // eval_metric list (rmse, mae, r2); Linear Learner reports mse and absolute_loss (RMSE = sqrt(MSE)), no R2.
    const xgb = byFamily.xgboost!.metrics!;
    assert.equal(xgb.test, undefined);
    assert.ok(xgb.validation.r2 !== undefined && xgb.validation.r2 > 0.9);
    const ll = byFamily['linear-learner']!.metrics!;
    assert.equal(ll.validation.r2, undefined);
    assert.ok(ll.test!.rmse <= 3100);
    // The test metrics of every model are in its model-quality baseline.
    for (const m of report.models) {
      const mq = JSON.parse((await backend.objectStore.get(m.baselines.modelQuality!.statisticsUri)).toString()) as { regression_metrics: { rmse: { value: number } } };
      assert.ok(mq.regression_metrics.rmse.value <= (m.family === 'xgboost' ? 2500 : 3100), `${m.family} test RMSE ${mq.regression_metrics.rmse.value}`);
    }

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
    // The model-quality baselines score the test split with a batch transform of each model (its
    // own serving container: SageMaker's Linear Learner artifact loads nowhere else), label and prediction kept.
    const scoringJobs = ((await sm.send(new ListTransformJobsCommand({ MaxResults: 100 }))).TransformJobSummaries ?? []).filter((j) => j.TransformJobName!.endsWith('-scoring'));
    assert.equal(scoringJobs.length, 2);
    for (const summary of scoringJobs) {
      const job = await sm.send(new DescribeTransformJobCommand({ TransformJobName: summary.TransformJobName }));
      if (job.TransformJobName!.includes('linear-learner')) {
        // Linear Learner answers no CSV, so its CSV join is the backend's: the job runs without it
        // (JSON Lines into a side prefix) and the joined `label,prediction` lands where asked.
        assert.deepEqual(job.DataProcessing, { InputFilter: '$[1:]', JoinSource: 'None', OutputFilter: '$' });
        assert.equal(job.TransformOutput?.Accept, 'application/jsonlines');
        assert.match(job.TransformOutput?.S3OutputPath ?? '', /\/test-predictions\.unjoined\/$/);
        const joined = (await backend.objectStore.get(job.TransformOutput!.S3OutputPath!.replace(/\.unjoined\/$/, '/test.csv.out'))).toString('utf8').trim().split('\n');
        assert.ok(joined.length > 50 && joined.every((line) => /^-?[0-9.]+,-?[0-9.e+-]+$/.test(line)), joined.slice(0, 3).join(' | '));
      } else {
        assert.deepEqual(job.DataProcessing, { InputFilter: '$[1:]', JoinSource: 'Input', OutputFilter: '$[0,-1]' });
        assert.equal(job.TransformOutput?.Accept, 'text/csv');
      }
    }

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
      assert.match(m.decision.reason, /not better than the champion: on the same \d+ validation rows/);
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

  it('batch scoring on the aws backend: the scoring file in S3, a transform job per champion with DataProcessing, outputs and capture in S3, a scoring record in the insights table', async () => {
    const dataUri = `s3://${config.bucket}/scoring/scoring-sample.csv`;
    await backend.objectStore.put(dataUri, await fs.readFile(path.join(REPO_ROOT, 'data', 'scoring-sample.csv')));
    const started = await startScoring(env.client, backend, config, { data: dataUri, trigger: 'test' });
    const report = await waitForScoringReport(started.handle, (runId) => runId);
    assert.equal(report.status, 'completed', JSON.stringify(report));
    assert.deepEqual(report.outputs.map((o) => [o.family, o.outputUris.length, o.captureUris.length]).sort(), [['linear-learner', 1, 1], ['xgboost', 1, 1]]);
    const jobs = ((await aws.clients.sagemaker.send(new ListTransformJobsCommand({ MaxResults: 100 }))).TransformJobSummaries ?? []).filter((j) => j.TransformJobName!.startsWith('transform-'));
    assert.equal(jobs.length, 2, 'one transform job per champion');
    for (const summary of jobs) {
      const job = await aws.clients.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: summary.TransformJobName }));
      // Linear Learner's CSV join is the backend's (no CSV answer): the job itself runs without it.
      const ll = job.TransformJobName!.includes('linear-learner');
      // The scoring file pre-processed into `17 features, its own columns`: the features reach the model.
      const filters = passThroughDataProcessing(17);
      assert.deepEqual(job.DataProcessing, ll ? { InputFilter: filters.inputFilter, JoinSource: 'None', OutputFilter: '$' } : { InputFilter: filters.inputFilter, JoinSource: 'Input', OutputFilter: filters.outputFilter });
    }
    const outputs = (await backend.objectStore.list(`s3://${config.bucket}/scored/`)).filter((u) => u.endsWith('.out') && !u.includes('.unjoined/'));
    assert.equal(outputs.length, 2);
    // Both families' outputs are `id,prediction,inference id,time` lines, the LL one joined by the backend.
    for (const uri of outputs) {
      const first = (await backend.objectStore.get(uri)).toString('utf8').split('\n')[0]!;
      assert.match(first, /^[^,]+,-?[0-9.e+-]+,[0-9a-f-]{36},/, `${uri}: ${first}`);
    }
    const lines = (await backend.objectStore.get(outputs[0]!)).toString('utf8').trim().split('\n');
    assert.equal(lines.length, 200);
    const records = await readInsightRows(backend.objectStore, config.bucket, 'scoring_records');
    assert.deepEqual(records.map((r) => [r.family, r.records]).sort(), [['linear-learner', 200], ['xgboost', 200]]);
    // SageMaker's batch capture is manifests; the per-file capture was built from input + .out.
    for (const o of report.outputs) {
      const destination = o.captureUris[0]!.slice(0, o.captureUris[0]!.lastIndexOf('/') + 1);
      const objects = (await backend.objectStore.list(destination)).map((u) => u.slice(destination.length));
      assert.deepEqual(objects.map((k) => k.replace(/\d{4}\/\d{2}\/\d{2}\/\d{2}/, 'yyyy/mm/dd/hh').replace(/transform-.*\.json$/, '<job>.json')).sort(), ['input/yyyy/mm/dd/hh/<job>.json', 'output/yyyy/mm/dd/hh/<job>.json', 'scoring-sample.csv.captured.csv']);
      const captured = (await backend.objectStore.get(o.captureUris[0]!)).toString('utf8').trim().split('\n');
      assert.match(captured[0]!, /^record_id,Mileage,.*,prediction$/);
      assert.equal(captured.length, 201);
      assert.match(captured[1]!, /^[0-9a-f-]{36},/, 'the inference id SageMaker appended is the record id');
    }
  });

  it('monitoring on the aws backend: reads the batch capture from S3, writes Model Monitor files and drift records there, and alerts the lifecycle on shifted data', async () => {
    const monitor = (n: number) => {
      const input: MonitoringInput = { family: 'xgboost', trigger: 'test', config: defaultMonitoringConfig(config) };
      return env.client.workflow.execute(monitoringPipeline, { taskQueue: input.config.taskQueues.orchestration, workflowId: `monitoring-xgboost/aws-${n}`, args: [input] });
    };
    const clean = await monitor(1);
    assert.equal(clean.outcome, 'no-drift', JSON.stringify(clean));
    assert.equal(clean.filesRead, 1, 'the batch capture of the scoring run');

    const dataUri = `s3://${config.bucket}/scoring/scoring-shifted.csv`;
    await backend.objectStore.put(dataUri, await fs.readFile(path.join(REPO_ROOT, 'data', 'scoring-shifted.csv')));
    const scored = await startScoring(env.client, backend, config, { data: dataUri, families: ['xgboost'], trigger: 'test' });
    assert.equal((await waitForScoringReport(scored.handle, (r) => r)).status, 'completed');
    const drift = await monitor(2);
    assert.equal(drift.outcome, 'drift', JSON.stringify(drift));
    assert.equal(drift.filesRead, 1, 'only the new capture (bookmark in S3)');
    const report = drift.dataQuality!.reportUri;
    for (const file of ['statistics.json', 'constraint_violations.json']) assert.ok(await backend.objectStore.head(`${report}/${file}`), `${file} in moto's S3 under ${report}`);
    const violations = JSON.parse((await backend.objectStore.get(`${report}/constraint_violations.json`)).toString('utf8')) as { violations: { feature_name: string; constraint_check_type: string }[] };
    assert.ok(violations.violations.some((v) => v.feature_name === 'Mileage' && v.constraint_check_type === 'baseline_drift_check'));
    const rows = await readInsightRows(backend.objectStore, config.bucket, 'drift_records');
    assert.ok(rows.some((r) => r.feature === 'Mileage' && r.monitoring_workflow_id === 'monitoring-xgboost/aws-2'));
    const published = (await moto.snsMessages(aws.topicArn)).map((m) => (JSON.parse(m.message) as { kind: string }).kind);
    assert.ok(published.includes('drift.detected'), published.join(', '));
    assert.equal((await readLifecycleState(env.client, 'xgboost'))?.recentAlerts.length, 1, 'the drift alert reached the lifecycle');
  });
});
