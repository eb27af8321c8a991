import { deploymentWorkflowId } from '../../common/types/deployment';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createBackend } from '../../activities/backends';
import type { Backend } from '../../activities/backends/types';
import { parameterNames } from '../../common/artifacts';
import { ErrorType } from '../../common/errors';
import { DATA_URI, OUTCOME, PIPELINE } from '../../common/search-attributes';
import type { Config } from '../../common/config/schema';
import { waitForTrainingReport, type TrainingRunReport } from '../../client/training/report';
import { startTraining, type StartTrainingOptions } from '../../services/training/start-training';
import { createLocalEnv } from '../helpers/temporal-env';
import { runWorkers, type RunningWorkers } from '../helpers/workers';
import { DATASET, freePortBase, jobDirs, readJson, startEndpointHost, tempDir, testConfig } from '../helpers/integration';

/**
 * The whole training pipeline on a real Temporal dev server, the local backend, real Python jobs
 * and the shared dataset (the repo's copy).
 */
describe('training pipeline (integration: dev server, local backend, real jobs)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let home: string;
  let config: Config;
  let backend: Backend;
  let workers: RunningWorkers | undefined;
  let endpointHost: Awaited<ReturnType<typeof startEndpointHost>>;

  before(async () => {
    env = await createLocalEnv();
    home = await tempDir('integration');
    config = testConfig({ home, portBase: await freePortBase() });
    endpointHost = await startEndpointHost(config);
    backend = createBackend(config);
    workers = await runWorkers(env, config, backend);
  });

  after(async () => {
    await workers?.stop();
    await endpointHost?.stop();
    await env?.teardown();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  async function train(options: Partial<StartTrainingOptions> = {}): Promise<{ report: TrainingRunReport; started: boolean; workflowId: string }> {
    const started = await startTraining(env.client, backend, config, { data: DATASET, trigger: 'test', ...options });
    const report = await waitForTrainingReport(started.handle, (runId) => runId);
    return { report, started: started.started, workflowId: started.workflowId };
  }

  it('when the demo dataset is trained, then both models are accepted with metrics on target, and every artifact, record and notification exists', async () => {
    const { report, workflowId } = await train();
    assert.equal(report.status, 'completed', JSON.stringify(report.error));
    const byFamily = Object.fromEntries(report.models.map((m) => [m.family, m]));
    assert.equal(byFamily.xgboost?.decision.outcome, 'accepted');
    assert.equal(byFamily['linear-learner']?.decision.outcome, 'accepted');
    assert.ok(byFamily.xgboost!.metrics!.test!.rmse <= 2500, `xgboost test RMSE ${byFamily.xgboost!.metrics!.test!.rmse}`);
    assert.ok(byFamily['linear-learner']!.metrics!.test!.rmse <= 3100, `linear test RMSE ${byFamily['linear-learner']!.metrics!.test!.rmse}`);
    for (const m of report.models) {
      for (const split of ['validation', 'test'] as const) {
        const s = m.metrics![split]!;
        assert.ok(s.r2 !== undefined && s.rmse > 0 && s.mae > 0 && s.mae <= s.rmse && s.r2 > 0.8 && s.r2 < 1, `${m.family} ${split} ${JSON.stringify(s)}`);
      }
      // Artifacts: the model archive and Model Monitor's files exist where the report says.
      assert.match(m.artifactUri!, /\/output\/model\.tar\.gz$/);
      assert.ok(await backend.objectStore.head(m.artifactUri!), `missing ${m.artifactUri}`);
      const dq = JSON.parse((await backend.objectStore.get(m.baselines.dataQuality!.statisticsUri)).toString());
      assert.equal(dq.version, 0);
      assert.ok(dq.dataset.item_count > 500);
      assert.equal(dq.features[0].name, 'Price');
      assert.ok(dq.features.some((f: { name: string; inferred_type: string }) => f.name === 'Mileage' && f.inferred_type === 'Integral'));
      const dqConstraints = JSON.parse((await backend.objectStore.get(m.baselines.dataQuality!.constraintsUri)).toString());
      assert.equal(dqConstraints.monitoring_config.distribution_constraints.comparison_method, 'Robust');
      const mq = JSON.parse((await backend.objectStore.get(m.baselines.modelQuality!.statisticsUri)).toString());
      assert.ok(Math.abs(mq.regression_metrics.rmse.value - m.metrics!.test!.rmse) < 1, 'model-quality baseline RMSE = test RMSE');
      const mqConstraints = JSON.parse((await backend.objectStore.get(m.baselines.modelQuality!.constraintsUri)).toString());
      assert.equal(mqConstraints.regression_constraints.r2.comparison_operator, 'LessThanThreshold');
      // Registry and parameter store.
      const version = await backend.registry.getVersion(m.family as 'xgboost', m.version!);
      assert.equal(version?.status, 'Approved');
      assert.ok(version?.baselines?.modelQuality);
      assert.equal((await backend.parameters.get(parameterNames.champion(m.family, 'model-name')))?.value, m.modelName);
      assert.equal((await backend.parameters.get(parameterNames.champion(m.family, 'model-version')))?.value, String(m.version));
      assert.equal((await backend.parameters.get(parameterNames.latestModelName(m.family)))?.value, m.modelName);
    }
    // Exactly one job per step.
    assert.equal((await jobDirs(home, 'training')).length, 2);
    assert.equal((await jobDirs(home, 'processing')).length, 4, 'preprocess, one data-quality and two model-quality baselines');
    // Training jobs record instance type and count.
    const xgbJob = await readJson<{ description: { resources: { instanceType: string; instanceCount: number } } }>(
      path.join(home, 'jobs', 'training', byFamily.xgboost!.trainingJob!.name, 'job.json'),
    );
    assert.deepEqual(xgbJob.description.resources, { instanceType: 'ml.m5.large', instanceCount: 1 });
    // Steps 9-10: each family's endpoint serves the new champion, exported for the gateway.
    for (const m of report.models) {
      const endpoint = await backend.hosting.describeEndpoint(`mlops-${m.family}`);
      assert.equal(endpoint?.status, 'InService');
      assert.equal(endpoint?.variants[0]?.modelName, m.modelName);
      assert.equal((await backend.parameters.get(parameterNames.champion(m.family, 'endpoint-name')))?.value, `mlops-${m.family}`);
      assert.equal((await backend.parameters.get(parameterNames.champion(m.family, 'endpoint-config-name')))?.value, endpoint?.endpointConfigName);
    }
    // Notifications.
    const notes = await backend.notifier.recent(10);
    assert.deepEqual(notes.map((n) => n.kind), ['training.succeeded']);
    // Readable in the Temporal UI: search attributes and memo.
    const description = await env.client.workflow.getHandle(workflowId).describe();
    assert.equal(description.typedSearchAttributes.get(PIPELINE), 'training');
    assert.equal(description.typedSearchAttributes.get(OUTCOME), 'accepted');
    assert.equal(description.typedSearchAttributes.get(DATA_URI), `s3://${config.bucket}/training/kbb-2005-gm-used-cars.csv`);
    const memo = description.memo as { config?: { models?: unknown[] } };
    assert.equal(memo.config?.models?.length, 2);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = (events: typeof history.events) => events?.flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : [])) ?? [];
    // Step 10 runs in one deployment child per model, started by the run (so the run shows it).
    const children = history.events?.flatMap((e) => (e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ? [e.startChildWorkflowExecutionInitiatedEventAttributes.workflowId] : [])) ?? [];
    assert.deepEqual(children.sort(), report.models.map((m) => deploymentWorkflowId(`mlops-${m.family}`, m.version!)).sort());
    const childActivities = await Promise.all(children.map(async (id) => scheduled((await env.client.workflow.getHandle(id).fetchHistory()).events)));
    const activityTypes = new Set([...scheduled(history.events), ...childActivities.flat()]);
    // Step 11 of an accepted model records its approval inside exportChampionConfig (one round trip).
    for (const name of ['runPreprocessingJob', 'runTrainingJob', 'registerModelVersion', 'readTrainingMetrics', 'findChampion', 'computeDataQualityBaseline', 'computeModelQualityBaseline', 'createEndpointConfig', 'describeEndpointState', 'createEndpoint', 'waitForEndpoint', 'exportChampionConfig', 'notify']) {
      assert.ok(activityTypes.has(name), `activity ${name} is in the history`);
    }
    // Every activity carries its summary for the UI's timeline ("step 2: train xgboost").
    const summaries = history.events?.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.userMetadata?.summary?.data ? Buffer.from(e.userMetadata.summary.data).toString('utf8') : ''] : [])) ?? [];
    assert.ok(summaries.length > 0 && summaries.every((s) => s.length > 2), `every activity has a summary: ${summaries.join(' | ')}`);
    assert.ok(summaries.includes('"step 2: train xgboost"') && summaries.includes('"step 2: train linear-learner"'), summaries.join(' | '));
  });

  it('when the same data version is submitted again, then no second run starts', async () => {
    const first = await train();
    const again = await startTraining(env.client, backend, config, { data: DATASET, trigger: 'test' });
    assert.equal(again.started, false);
    assert.equal(again.workflowId, first.workflowId);
    assert.equal((await jobDirs(home, 'training')).length, 2, 'no new training job');
  });

  it('when a new run trains the same data, then both models are rejected as not better, with notifications', async () => {
    const { report } = await train({ newRun: true });
    assert.equal(report.status, 'completed');
    for (const m of report.models) {
      assert.equal(m.decision.outcome, 'rejected');
      assert.match(m.decision.reason, /not better than the champion: on the same \d+ validation rows/);
    }
    const rejected = (await backend.notifier.recent(10)).filter((n) => n.kind === 'model.rejected');
    assert.deepEqual(rejected.map((n) => n.details?.family).sort(), ['linear-learner', 'xgboost']);
    const versions = await backend.registry.listVersions();
    assert.deepEqual(versions.map((v) => `${v.family}:${v.version}:${v.status}`), ['linear-learner:1:Approved', 'linear-learner:2:Rejected', 'xgboost:1:Approved', 'xgboost:2:Rejected']);
  });

  it('when the dataset breaks the schema, then the run fails without retry, naming file, column and rule, and nothing is trained', async () => {
    const bad = path.join(home, 'cars-missing-mileage.csv');
    const text = await fs.readFile(DATASET, 'utf8');
    const lines = text.trim().split('\n').map((l) => l.split(',').filter((_, i) => i !== 2).join(','));
    await fs.writeFile(bad, lines.join('\n'));
    const trainingJobsBefore = (await jobDirs(home, 'training')).length;
    const { report } = await train({ data: bad });
    assert.equal(report.status, 'failed');
    assert.equal(report.error?.type, ErrorType.DatasetSchemaInvalid);
    assert.match(report.error!.message, /cars-missing-mileage\.csv/);
    assert.match(report.error!.message, /Mileage/);
    assert.match(report.error!.message, /missing/i);
    assert.equal((await jobDirs(home, 'training')).length, trainingJobsBefore);
    const failed = (await backend.notifier.recent(20)).filter((n) => n.kind === 'training.failed');
    assert.equal(failed.length, 1);
    assert.match(failed[0]!.message, /Mileage/);
  });

  it('when the threshold is below a model\'s validation RMSE, then that model alone is rejected', async () => {
    const tighter = path.join(home, 'cars-copy.csv');
    await fs.copyFile(DATASET, tighter);
    const configFile = path.join(home, 'run.json');
    await fs.writeFile(configFile, JSON.stringify({ split: { seed: 7 }, models: { xgboost: { rmseThreshold: 100 } } }));
    const { report } = await train({ data: tighter, configFile, threshold: 99999 });
    assert.equal(report.status, 'completed');
    const xgb = report.models.find((m) => m.family === 'xgboost')!;
    assert.equal(xgb.decision.outcome, 'rejected');
    assert.match(xgb.decision.reason, /exceeds the threshold 100\.0/);
  });
});
