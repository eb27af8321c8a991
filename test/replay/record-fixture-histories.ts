/**
 * Records replay histories of the monitoring, lifecycle and batch-scoring workflows, branch by
 * branch, on a real dev server (activities mocked: replay checks workflow code only):
 *   npm run history:record-fixtures
 * writes test/replay/histories/<workflowType>-<case>.json for the cases that have no file yet
 * (`-- --overwrite` records every case again). Histories of released code stay: they are what
 * proves a `patched()` change replays. Run it before changing one of these workflows (on the
 * released code), then guard the change with `patched()`, then run it again for the new branches.
 */
import '../helpers/setup';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { ModelLifecycleInput } from '../../common/types/lifecycle';
import type { DriftAlert, RetrainingPolicy } from '../../common/types/monitoring';
import type { ScoringInput } from '../../common/types/scoring';
import { batchScoringPipeline, endpointDeployment, modelLifecycle, monitoringPipeline, trainingPipeline } from '../../workflows';
import { DEFAULT_ROLLBACK_ALARMS, type EndpointDeploymentInput } from '../../common/types/deployment';
import { abortDeploymentUpdate, deploymentStateQuery } from '../../workflows/deployment/deployment.messages';
import { ApplicationFailure } from '@temporalio/common';
import { championChangedSignal, configureLifecycleUpdate, decideRetrainingUpdate, driftAlertSignal, lifecycleStateQuery } from '../../workflows/lifecycle/lifecycle.messages';
import { MILEAGE_DRIFT, monitoringInput } from '../helpers/monitoring-fixtures';
import { createLocalEnv } from '../helpers/temporal-env';
import { DEPLOYMENT, metrics as metricsOf, mockActivities, trainingInput, type MockBehaviour } from '../helpers/training-fixtures';
import type { TrainingInput } from '../../common/types/training';
import { decideApprovalUpdate, pendingApprovalsQuery } from '../../workflows/training/approval';
import { bundleWorkflows } from '../helpers/workflow-bundle';

const DIR = path.join(__dirname, 'histories');

const OVERWRITE = process.argv.includes('--overwrite');

async function recorded(type: string, caseName: string): Promise<boolean> {
  if (OVERWRITE) return false;
  return fs.access(path.join(DIR, `${type}-${caseName}.json`)).then(() => true, () => false);
}

async function save(handle: WorkflowHandle, type: string, caseName: string): Promise<void> {
  const history = await handle.fetchHistory();
  const file = path.join(DIR, `${type}-${caseName}.json`);
  await fs.writeFile(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
  console.log(`recorded ${history.events?.length ?? 0} events to ${path.relative(process.cwd(), file)}`);
}

function alert(n: number): DriftAlert {
  return {
    family: 'xgboost',
    modelVersion: 1,
    modelName: 'model-xgboost-1',
    endpointName: 'mlops-xgboost',
    monitoringWorkflowId: `monitoring-xgboost-${n}`,
    monitoringRunId: `run-${n}`,
    windowStart: '2026-01-01T00:00:00Z',
    windowEnd: '2026-01-01T01:00:00Z',
    kinds: ['data'],
    violations: [MILEAGE_DRIFT],
    reportUri: `s3://mlops/monitoring/xgboost/${n}/drift-records.jsonl`,
    detectedAt: '2026-01-01T01:05:00Z',
  };
}

async function main(): Promise<void> {
  const env = await createLocalEnv();
  const bundle = await bundleWorkflows();
  try {
    const withWorker = async (behaviour: MockBehaviour, act: (taskQueue: string) => Promise<void>) => {
      const taskQueue = `record-${randomUUID()}`;
      const { activities } = mockActivities(behaviour);
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
      await worker.runUntil(() => act(taskQueue));
    };
    const monitoring = async (caseName: string, behaviour: MockBehaviour, project?: string) =>
      (await recorded('monitoringPipeline', caseName)) ||
      withWorker(behaviour, async (taskQueue) => {
        const input = { ...monitoringInput(taskQueue, 'schedule'), ...(project ? { project } : {}) };
        const handle = await env.client.workflow.start(monitoringPipeline, { taskQueue, workflowId: `monitoring-xgboost-${randomUUID()}`, args: [input] });
        await handle.result().catch(() => undefined);
        await save(handle, 'monitoringPipeline', caseName);
      });
    await monitoring('no-data', { consolidated: { filesRead: 0, realtimePrefix: undefined } });
    await monitoring('no-drift-realtime-and-batch', { consolidated: { batchPrefix: 's3://mlops/monitoring/in/batch/' } });
    await monitoring('data-and-model-drift-alerted', { consolidated: { groundTruthPrefix: 's3://mlops/monitoring/in/ground-truth/' }, dataViolations: [MILEAGE_DRIFT], modelViolations: [{ checkType: 'LessThanThreshold', metric: 'rmse', description: 'Metric rmse with 4100 was LessThanThreshold 3000' }] });
    await monitoring('no-model-failed', { noMonitoredModel: true });
    // Since claims are settled (patch settle-capture-claims) and labels are merged with a lookback window.
    await monitoring('settled-labels-only', { consolidated: { filesRead: 0, realtimePrefix: undefined, groundTruthPrefix: 's3://mlops/monitoring/in/ground-truth/', groundTruthFilesRead: 1, modelQualityCapturePrefix: 's3://mlops/monitoring/in/model-quality-capture/' } });
    await monitoring('released-after-failed-check', { dataQualityError: ApplicationFailure.nonRetryable('processing job failed: AlgorithmError: out of memory', 'JobFailed') });
    await monitoring('settled-data-drift-alerted', { dataViolations: [MILEAGE_DRIFT] });
    // A project's run (issue 15): its model and its alert name the project.
    await monitoring('project-data-drift-alerted', { dataViolations: [MILEAGE_DRIFT] }, 'penguins');

    const lifecycle = async (caseName: string, policy: RetrainingPolicy, act: (handle: WorkflowHandle<typeof modelLifecycle>) => Promise<void>, project?: string) =>
      (await recorded('modelLifecycle', caseName)) ||
      withWorker({}, async (taskQueue) => {
        const input: ModelLifecycleInput = { family: 'xgboost', ...(project ? { project } : {}), config: { policy, coolDown: '24 hours', trainingDataUri: 's3://mlops/training/cars.csv', taskQueues: { orchestration: taskQueue, compute: taskQueue } } };
        const handle = await env.client.workflow.start(modelLifecycle, { taskQueue, workflowId: `lifecycle/xgboost-${randomUUID()}`, args: [input] });
        await act(handle);
        await handle.terminate('recorded for replay');
        await save(handle, 'modelLifecycle', caseName);
      });
    const processed = async (handle: WorkflowHandle<typeof modelLifecycle>, alerts: number) => {
      for (let i = 0; i < 400; i++) {
        if ((await handle.query(lifecycleStateQuery)).counts.alerts >= alerts) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('the lifecycle did not process the alerts');
    };
    await lifecycle('retrain-then-cool-down-then-champion', 'retrain', async (handle) => {
      await handle.signal(driftAlertSignal, alert(1));
      await handle.signal(driftAlertSignal, alert(2));
      await processed(handle, 2);
      await handle.signal(championChangedSignal, { family: 'xgboost', version: 2, modelName: 'model-xgboost-2', at: '2026-01-01T03:00:00Z' });
      await new Promise((r) => setTimeout(r, 500));
    });
    // A project's lifecycle (issue 15): its retraining names the project.
    await lifecycle(
      'project-retrain',
      'retrain',
      async (handle) => {
        await handle.signal(driftAlertSignal, { ...alert(1), project: 'penguins' });
        await processed(handle, 1);
      },
      'penguins',
    );
    await lifecycle('notify-only', 'notify', async (handle) => {
      await handle.signal(driftAlertSignal, alert(1));
      await processed(handle, 1);
    });
    await lifecycle('approve-then-retrain-approved', 'approve-then-retrain', async (handle) => {
      await handle.signal(driftAlertSignal, alert(1));
      await processed(handle, 1);
      await handle.executeUpdate(decideRetrainingUpdate, { args: [{ approve: true, by: 'alice', reason: 'mileage shift confirmed' }] });
    });

    await lifecycle('settings-changed-then-retrain', 'notify', async (handle) => {
      await handle.signal(driftAlertSignal, alert(1));
      await processed(handle, 1);
      await handle.executeUpdate(configureLifecycleUpdate, { args: [{ by: 'alice', policy: 'retrain', coolDown: '2 hours', reason: 'drift is costly' }] });
      await handle.signal(driftAlertSignal, alert(2));
      await processed(handle, 2);
    });

    if (!(await recorded('batchScoringPipeline', 'both-models-scored'))) await withWorker({}, async (taskQueue) => {
      const input: ScoringInput = {
        dataUri: 's3://mlops/scoring/cars.csv',
        trigger: 'webhook',
        config: { bucket: 'mlops', outputPrefix: 's3://mlops/scored', captureUri: 's3://mlops/capture/batch', dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input', outputFilter: '$[0,-1]' }, generateInferenceId: true, resources: { instanceType: 'ml.m5.large', instanceCount: 1 }, maxJobRuntimeSeconds: 600, taskQueues: { orchestration: taskQueue, compute: taskQueue } },
      };
      const handle = await env.client.workflow.start(batchScoringPipeline, { taskQueue, workflowId: `scoring/${randomUUID()}`, args: [input] });
      await handle.result();
      await save(handle, 'batchScoringPipeline', 'both-models-scored');
    });
    // Filters from the pre-processed layout (feature count), the file's own id columns chosen.
    if (!(await recorded('batchScoringPipeline', 'pass-through-columns'))) await withWorker({}, async (taskQueue) => {
      const input: ScoringInput = {
        dataUri: 's3://mlops/scoring/cars.csv',
        trigger: 'cli',
        config: { bucket: 'mlops', outputPrefix: 's3://mlops/scored', captureUri: 's3://mlops/capture/batch', idColumns: ['car_id', 'note'], generateInferenceId: true, resources: { instanceType: 'ml.m5.large', instanceCount: 1 }, maxJobRuntimeSeconds: 600, taskQueues: { orchestration: taskQueue, compute: taskQueue } },
      };
      const handle = await env.client.workflow.start(batchScoringPipeline, { taskQueue, workflowId: `scoring/${randomUUID()}`, args: [input] });
      await handle.result();
      await save(handle, 'batchScoringPipeline', 'pass-through-columns');
    });

    // Since every activity call carries a summary for the UI's timeline (step and model named) and
    // step 10's choice is made in the workflow (patch endpoint-steps-in-workflow): one endpoint
    // exists (updated), the other does not (created).
    if (!(await recorded('trainingPipeline', 'summaries-both-accepted-deployed'))) await withWorker({ endpoints: { 'mlops-xgboost': { endpointConfigName: 'old-xgb', status: 'InService' } } }, async (taskQueue) => {
      const input = trainingInput(taskQueue, { deployment: DEPLOYMENT });
      const handle = await env.client.workflow.start(trainingPipeline, { taskQueue, workflowId: `training/${randomUUID()}`, args: [input] });
      await handle.result();
      await save(handle, 'trainingPipeline', 'summaries-both-accepted-deployed');
    });

    // Since step 6 compares with the champion on the same rows (patch champion-on-same-rows).
    const training = async (caseName: string, behaviour: MockBehaviour, configure: (input: TrainingInput) => void, act: (handle: WorkflowHandle<typeof trainingPipeline>) => Promise<void>) =>
      (await recorded('trainingPipeline', caseName)) ||
      withWorker(behaviour, async (taskQueue) => {
        const input = trainingInput(taskQueue);
        configure(input);
        const handle = await env.client.workflow.start(trainingPipeline, { taskQueue, workflowId: `training/${randomUUID()}`, args: [input] });
        await act(handle);
        await handle.result();
        await save(handle, 'trainingPipeline', caseName);
      });
    await training(
      'champion-compared-one-better-one-not-significant',
      { metrics: { xgboost: metricsOf(2300), 'linear-learner': metricsOf(2950) }, champion: { xgboost: { version: 4, validationRmse: 2400 }, 'linear-learner': { version: 2, validationRmse: 2960 } }, bootstrapInterval: { 'linear-learner': [-40, 20] } },
      (i) => (i.config.comparison = { significance: { confidence: 0.95, iterations: 1000, seed: 42 } }),
      async () => undefined,
    );
    await training(
      'champion-incomparable-and-data-shift-approved',
      { metrics: { xgboost: metricsOf(2300), 'linear-learner': metricsOf(2950) }, champion: { xgboost: { version: 4, validationRmse: 2400, comparable: false }, 'linear-learner': { version: 2, validationRmse: 3100 } }, shiftViolations: [MILEAGE_DRIFT] },
      () => undefined,
      async (handle) => {
        for (const family of ['xgboost', 'linear-learner'] as const) {
          for (let i = 0; i < 400 && !(await handle.query(pendingApprovalsQuery)).some((p) => p.family === family); i++) await new Promise((r) => setTimeout(r, 25));
          await handle.executeUpdate(decideApprovalUpdate, { args: [{ family, approve: true, by: 'recorder', reason: 'checked by hand' }] });
        }
      },
    );
    // Since the champion is looked up while the model trains and steps 3 and 4 run side by side
    // (patch branch-steps-side-by-side): xgboost beats its champion on the same rows, linear-learner
    // has none yet.
    await training(
      'branch-steps-side-by-side-one-champion',
      { metrics: { xgboost: metricsOf(2300), 'linear-learner': metricsOf(2950) }, champion: { xgboost: { version: 3, validationRmse: 2400 } } },
      () => undefined,
      async () => undefined,
    );
    // Since the run's critical path comes first (patch training-critical-path-first): training is
    // scheduled before the champion lookup and the data-quality baseline; linear-learner (no
    // champion, no threshold) starts step 7 with steps 3 and 4, xgboost compares with its champion
    // first; step 11 records and exports in one activity.
    await training(
      'critical-path-first-one-champion',
      { metrics: { xgboost: metricsOf(2300), 'linear-learner': metricsOf(2950) }, champion: { xgboost: { version: 3, validationRmse: 2400 } } },
      () => undefined,
      async () => undefined,
    );
    // A project's run (issue 15): its name, dataset spec and a bring-your-own algorithm travel in
    // the activity inputs; the commands are those of the demo's run.
    await training(
      'project-byo-algorithm-deployed',
      { metrics: { xgboost: metricsOf(310), hgb: metricsOf(300) } },
      (i) => {
        i.dataUri = 's3://mlops/training/penguins/penguins.csv';
        i.config.project = 'penguins';
        i.config.datasetSpecUri = 's3://mlops/projects/penguins/dataset-spec/0123456789abcdef/dataset-spec.json';
        i.config.deployment = { ...DEPLOYMENT, endpointNamePrefix: 'mlops-penguins' };
        i.config.models = [
          { family: 'xgboost', algorithm: { kind: 'xgboost' }, hyperparameters: { num_round: '10' }, resources: { instanceType: 'ml.m5.large', instanceCount: 1 } },
          { family: 'hgb', algorithm: { kind: 'byo', name: 'hgb', command: ['python', 'main.py'], dir: 'algorithms/byo/hist_gradient_boosting', acceptsMissing: true }, hyperparameters: { max_iter: '50' }, resources: { instanceType: 'ml.m5.large', instanceCount: 1 } },
        ];
      },
      async () => undefined,
    );
    if (!(await recorded('batchScoringPipeline', 'project-scored'))) await withWorker({}, async (taskQueue) => {
      const input: ScoringInput = {
        dataUri: 's3://mlops/scoring/penguins/penguins.csv',
        trigger: 'cli',
        config: { bucket: 'mlops', project: 'penguins', outputPrefix: 's3://mlops/projects/penguins/scored', captureUri: 's3://mlops/projects/penguins/capture/batch', generateInferenceId: true, resources: { instanceType: 'ml.m5.large', instanceCount: 1 }, maxJobRuntimeSeconds: 600, taskQueues: { orchestration: taskQueue, compute: taskQueue } },
      };
      const handle = await env.client.workflow.start(batchScoringPipeline, { taskQueue, workflowId: `scoring/${randomUUID()}`, args: [input] });
      await handle.result();
      await save(handle, 'batchScoringPipeline', 'project-scored');
    });
    // Since step 10 is a deployment child workflow (patch deployment-workflow): a canary per model;
    // xgboost fails half of its canary's requests and is rolled back, linear-learner is deployed.
    const SERVING = { 'mlops-xgboost': { endpointConfigName: 'old-xgb', status: 'InService' as const, modelName: 'old-xgboost' }, 'mlops-linear-learner': { endpointConfigName: 'old-ll', status: 'InService' as const, modelName: 'old-ll' } };
    const FAST_ALARMS = { ...DEFAULT_ROLLBACK_ALARMS, evaluationInterval: '1 second' };
    await training(
      'deployment-canary-one-rolled-back',
      { endpoints: SERVING, live: { failing: 'model-xgboost', failShare: 0.5 } },
      (i) => (i.config.deployment = { ...DEPLOYMENT, policy: { type: 'canary', canaryShare: 0.1, canaryBake: '2 seconds', finalBake: '2 seconds' }, alarms: FAST_ALARMS }),
      async () => undefined,
    );
    // The deployment workflow on its own: a person aborts during the final bake.
    if (!(await recorded('endpointDeployment', 'aborted-during-bake'))) await withWorker({ endpoints: SERVING }, async (taskQueue) => {
      const input: EndpointDeploymentInput = {
        endpointName: 'mlops-xgboost',
        family: 'xgboost',
        target: { modelName: 'model-xgboost-7', version: 7, endpointConfigName: 'cfg-new' },
        policy: { type: 'all-at-once', finalBake: '1 hour' },
        alarms: FAST_ALARMS,
        requestedBy: { workflowId: 'training/recorder', kind: 'training' },
        taskQueues: { orchestration: taskQueue, compute: taskQueue },
      };
      const handle = await env.client.workflow.start(endpointDeployment, { taskQueue, workflowId: `deployment/${randomUUID()}`, args: [input] });
      for (let i = 0; i < 400 && (await handle.query(deploymentStateQuery)).phase !== 'baking'; i++) await new Promise((r) => setTimeout(r, 25));
      await handle.executeUpdate(abortDeploymentUpdate, { args: [{ by: 'recorder', reason: 'checked by hand' }] });
      await handle.result();
      await save(handle, 'endpointDeployment', 'aborted-during-bake');
    });
  } finally {
    await env.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
