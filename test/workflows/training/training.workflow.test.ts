import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { ErrorType } from '../../../common/errors';
import type { TrainingInput, TrainingResult } from '../../../common/types/training';
import { trainingPipeline } from '../../../workflows';
import { trainingProgressQuery } from '../../../workflows/training/training.messages';
import { createTimeSkippingEnv } from '../../helpers/temporal-env';
import { metrics, mockActivities, trainingInput, type MockBehaviour, type MockCalls } from '../../helpers/training-fixtures';
import { bundleWorkflows } from '../../helpers/workflow-bundle';

describe('trainingPipeline workflow (mocked activities)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;

  before(async () => {
    [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  });

  after(async () => {
    await env?.teardown();
  });

  async function run(behaviour: MockBehaviour, makeInput?: (queue: string) => TrainingInput): Promise<{ result?: TrainingResult; error?: WorkflowFailedError; calls: MockCalls; workflowId: string }> {
    const taskQueue = `training-${randomUUID()}`;
    const { activities, calls } = mockActivities(behaviour);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    const input = makeInput ? makeInput(taskQueue) : trainingInput(taskQueue);
    const workflowId = `training/test/${randomUUID()}`;
    return worker.runUntil(async () => {
      try {
        const result = await env.client.workflow.execute(trainingPipeline, { taskQueue, workflowId, args: [input] });
        return { result, calls, workflowId };
      } catch (err) {
        if (err instanceof WorkflowFailedError) return { error: err, calls, workflowId };
        throw err;
      }
    });
  }

  it('when both models pass, then both are accepted, baselined, exported, and one success notification goes out', async () => {
    const { result, calls } = await run({ metrics: { xgboost: metrics(2300), 'linear-learner': metrics(2950) } });
    assert.ok(result);
    assert.deepEqual(result.models.map((m) => [m.family, m.decision.outcome]), [['xgboost', 'accepted'], ['linear-learner', 'accepted']]);
    assert.deepEqual(calls.exported.sort(), ['linear-learner', 'xgboost']);
    assert.deepEqual(calls.modelQualityBaselines.sort(), ['linear-learner', 'xgboost']);
    assert.equal(calls.activities.filter((a) => a === 'computeDataQualityBaseline').length, 1, 'one data-quality baseline per run');
    assert.deepEqual(calls.decisions.map((d) => d.status), ['Approved', 'Approved']);
    assert.deepEqual(calls.notifications.map((n) => n.kind), ['training.succeeded']);
    assert.ok(result.models.every((m) => m.baselines?.dataQuality && m.baselines.modelQuality));
  });

  it('when a model branch runs, then the champion is looked up as training starts and steps 3 and 4 start together (one round trip each instead of two)', async () => {
    const { result, workflowId } = await run({ champion: { xgboost: { version: 1, validationRmse: 2500 } } });
    assert.ok(result);
    const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    /** The workflow task that scheduled each of the family's activities. */
    const scheduledBy = (family: string) =>
      new Map(
        events.flatMap((e) => {
          const a = e.activityTaskScheduledEventAttributes;
          const input = a?.input?.payloads?.[0]?.data ? (JSON.parse(Buffer.from(a.input.payloads[0].data).toString('utf8')) as { family?: string }) : undefined;
          return a && input?.family === family ? [[a.activityType?.name ?? '', String(a.workflowTaskCompletedEventId)] as const] : [];
        }),
      );
    for (const family of ['xgboost', 'linear-learner']) {
      const by = scheduledBy(family);
      assert.ok(by.get('runTrainingJob') && by.get('registerModelVersion'), family);
      assert.equal(by.get('findChampion'), by.get('runTrainingJob'), `${family}: the champion is looked up in the workflow task that starts training`);
      assert.equal(by.get('readTrainingMetrics'), by.get('registerModelVersion'), `${family}: steps 3 and 4 in one workflow task`);
    }
    assert.equal(result.models.find((m) => m.family === 'xgboost')?.decision.outcome, 'accepted');
  });

  /** The run's scheduled activities in order: type, family, the workflow task that scheduled it, its summary and input. */
  async function scheduled(workflowId: string) {
    const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    return events.flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      if (!a) return [];
      const data = a.input?.payloads?.[0]?.data;
      const input = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { family?: string; approval?: { decision?: { outcome?: string } } }) : {};
      const summary = e.userMetadata?.summary?.data ? (JSON.parse(Buffer.from(e.userMetadata.summary.data).toString('utf8')) as string) : '';
      return [{ type: a.activityType?.name ?? '', family: input.family, task: String(a.workflowTaskCompletedEventId), summary, input }];
    });
  }

  it('when the models start, then each training job is scheduled before its champion lookup, and the data-quality baseline after both (the critical path first, one workflow task)', async () => {
    const { result, workflowId } = await run({});
    assert.ok(result);
    const first = (await scheduled(workflowId)).filter((a) => a.type !== 'runPreprocessingJob').slice(0, 5);
    assert.deepEqual(
      first.map((a) => `${a.type}${a.family ? `:${a.family}` : ''}`),
      ['runTrainingJob:xgboost', 'findChampion:xgboost', 'runTrainingJob:linear-learner', 'findChampion:linear-learner', 'computeDataQualityBaseline'],
    );
    assert.equal(new Set(first.map((a) => a.task)).size, 1, 'all in the workflow task after step 1');
  });

  it('when a model has no champion and no threshold applies, then its model-quality baseline starts with steps 3 and 4; a champion to compare with or a threshold makes it wait for steps 5-6', async () => {
    const { result, workflowId } = await run({ champion: { xgboost: { version: 1, validationRmse: 2500 } } });
    assert.ok(result);
    const activities = await scheduled(workflowId);
    const taskOf = (type: string, family: string) => activities.find((a) => a.type === type && a.family === family)?.task;
    assert.ok(taskOf('computeModelQualityBaseline', 'linear-learner'));
    assert.equal(taskOf('computeModelQualityBaseline', 'linear-learner'), taskOf('registerModelVersion', 'linear-learner'), 'nothing can reject linear-learner before step 7: it starts with steps 3 and 4');
    assert.ok(Number(taskOf('computeModelQualityBaseline', 'xgboost')) > Number(activities.find((a) => a.type === 'compareModels')?.task), 'xgboost reuses step 6\'s test predictions: after the comparison');
    assert.deepEqual(result.models.map((m) => [m.family, m.decision.outcome, Boolean(m.baselines?.modelQuality && m.baselines.dataQuality)]), [
      ['xgboost', 'accepted', true],
      ['linear-learner', 'accepted', true],
    ]);

    const withThreshold = await run({}, (q) => trainingInput(q, { rmseThreshold: 5000 }));
    const thresholded = await scheduled(withThreshold.workflowId);
    for (const family of ['xgboost', 'linear-learner']) {
      const task = (type: string) => Number(thresholded.find((a) => a.type === type && a.family === family)?.task);
      assert.ok(task('computeModelQualityBaseline') > task('registerModelVersion'), `${family}: step 5's threshold is checked before step 7 starts`);
    }
  });

  it('when step 3 fails while the model-quality baseline runs beside it, then the baseline is cancelled and that model fails the run', async () => {
    const { error, calls, workflowId } = await run({
      holdModelQualityBaseline: true,
      registerError: { 'linear-learner': ApplicationFailure.nonRetryable('registry refused the version', ErrorType.InvalidInput) },
      trainingError: { xgboost: ApplicationFailure.nonRetryable('stop xgboost early', ErrorType.JobFailed) },
    });
    assert.ok(error);
    assert.match(String(error.cause?.message), /linear-learner: registry refused the version/);
    const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const baseline = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'computeModelQualityBaseline');
    assert.ok(baseline, 'the baseline had started beside step 3');
    assert.ok(
      events.some((e) => String(e.activityTaskCancelRequestedEventAttributes?.scheduledEventId) === String(baseline.eventId)),
      'the run asked the running baseline to stop',
    );
    assert.deepEqual(calls.exported, []);
  });

  it('when a model is accepted, then step 11 records the approval and exports it as the champion in one activity, named so in the timeline', async () => {
    const { result, calls, workflowId } = await run({ metrics: { xgboost: metrics(2300), 'linear-learner': metrics(2950) } });
    assert.ok(result);
    assert.deepEqual(calls.activities.filter((a) => a.startsWith('recordModelDecision')), [], 'no separate record activity');
    const exports = (await scheduled(workflowId)).filter((a) => a.type === 'exportChampionConfig');
    assert.deepEqual(exports.map((a) => a.summary).sort(), ['step 11: record linear-learner v1 as approved and export it as the champion', 'step 11: record xgboost v1 as approved and export it as the champion']);
    assert.ok(exports.every((a) => a.input.approval?.decision?.outcome === 'accepted'));
    assert.deepEqual(calls.decisions.map((d) => [d.family, d.status]).sort(), [['linear-learner', 'Approved'], ['xgboost', 'Approved']]);
  });

  it('when one model exceeds the RMSE threshold, then only it is rejected, with a notification naming model, metric and threshold', async () => {
    const { result, calls } = await run(
      { metrics: { xgboost: metrics(2300), 'linear-learner': metrics(3400) } },
      (q) => trainingInput(q, { rmseThreshold: 3000 }),
    );
    assert.ok(result);
    const linear = result.models.find((m) => m.family === 'linear-learner')!;
    assert.equal(linear.decision.outcome, 'rejected');
    assert.match(linear.decision.reason, /3400\.0 exceeds the threshold 3000\.0/);
    assert.equal(result.models.find((m) => m.family === 'xgboost')!.decision.outcome, 'accepted');
    assert.deepEqual(calls.exported, ['xgboost']);
    assert.deepEqual(calls.modelQualityBaselines, ['xgboost'], 'a rejected model gets no baseline');
    const rejected = calls.notifications.find((n) => n.kind === 'model.rejected')!;
    assert.equal(rejected.details?.family, 'linear-learner');
    assert.equal(rejected.details?.metric, 'validation:rmse');
    assert.equal(rejected.details?.threshold, 3000);
    assert.equal(rejected.details?.value, 3400);
    assert.ok(calls.notifications.some((n) => n.kind === 'training.succeeded'));
  });

  it('when a per-model threshold is set, then it overrides the run-wide one', async () => {
    const { result } = await run({ metrics: { xgboost: metrics(2300), 'linear-learner': metrics(2950) } }, (q) => {
      const input = trainingInput(q, { rmseThreshold: 5000 });
      input.config.models[0]!.rmseThreshold = 2000;
      return input;
    });
    assert.equal(result!.models.find((m) => m.family === 'xgboost')!.decision.outcome, 'rejected');
    assert.equal(result!.models.find((m) => m.family === 'linear-learner')!.decision.outcome, 'accepted');
  });

  it('when a model is not better than the champion on the same rows, then it is rejected and the notification carries both models\' metrics on those rows', async () => {
    const { result, calls } = await run({
      metrics: { xgboost: metrics(2400), 'linear-learner': metrics(2950) },
      champion: { xgboost: { version: 3, validationRmse: 2350 } },
    });
    const xgb = result!.models.find((m) => m.family === 'xgboost')!;
    assert.equal(xgb.decision.outcome, 'rejected');
    assert.match(xgb.decision.reason, /not better than the champion: on the same 120 validation rows, RMSE 2400\.0 vs 2350\.0 of the champion \(version 3\) \(\+2\.1 %\)/);
    assert.equal(xgb.governance?.comparison?.champion.validation.rmse, 2350);
    const note = calls.notifications.find((n) => n.kind === 'model.rejected')!;
    assert.equal((note.details?.comparison as { championVersion: number }).championVersion, 3);
    assert.deepEqual(calls.decisions.find((d) => d.family === 'xgboost')?.status, 'Rejected');
    assert.equal(result!.models.find((m) => m.family === 'linear-learner')!.decision.outcome, 'accepted', 'no champion yet: nothing to beat');
  });

  it('when pre-processing rejects the dataset, then the run fails without retry, nothing is trained, and a failure notification says why', async () => {
    const message = "processing job preprocess-x failed: ClientError: cars.csv: missing required column 'Mileage'";
    const { error, calls } = await run({ preprocessError: ApplicationFailure.nonRetryable(message, ErrorType.DatasetSchemaInvalid) });
    assert.ok(error);
    assert.equal(calls.activities.filter((a) => a === 'runPreprocessingJob').length, 1);
    assert.deepEqual(calls.trained, []);
    const failed = calls.notifications.find((n) => n.kind === 'training.failed')!;
    assert.match(failed.message, /missing required column 'Mileage'/);
    assert.equal(failed.details?.failureType, ErrorType.DatasetSchemaInvalid);
  });

  it('when the run configures data checks, then step 1 gets their limits; a run without them leaves the job its defaults', async () => {
    const { calls } = await run({ preprocessError: ApplicationFailure.nonRetryable('stop after step 1', ErrorType.DatasetSchemaInvalid) }, (q) => trainingInput(q, { dataChecks: { minRowsPerSplit: 30, maxDuplicateShare: 0.1 } }));
    assert.deepEqual(calls.preprocessInputs.map((i) => i.dataChecks), [{ minRowsPerSplit: 30, maxDuplicateShare: 0.1 }]);
    const without = await run({ preprocessError: ApplicationFailure.nonRetryable('stop after step 1', ErrorType.DatasetSchemaInvalid) });
    assert.deepEqual(without.calls.preprocessInputs.map((i) => i.dataChecks), [undefined]);
  });

  it('when one training job fails, then the other model still finishes and the run fails with a notification', async () => {
    const { error, calls } = await run({
      metrics: { 'linear-learner': metrics(2950) },
      trainingError: { xgboost: ApplicationFailure.nonRetryable('training job train-xgboost-x failed: AlgorithmError: boom', ErrorType.JobFailed) },
    });
    assert.ok(error);
    assert.match(String(error.cause?.message), /xgboost: .*AlgorithmError: boom/);
    assert.deepEqual(calls.exported, ['linear-learner']);
    const failed = calls.notifications.find((n) => n.kind === 'training.failed')!;
    assert.ok(failed);
    const models = failed.details?.models as { family: string; outcome: string }[];
    assert.deepEqual(models.map((m) => [m.family, m.outcome]).sort(), [['linear-learner', 'accepted'], ['xgboost', 'failed']]);
  });

  it('when notifications cannot be delivered, then the run still completes', async () => {
    const { result } = await run({ notifyError: ApplicationFailure.nonRetryable('webhook down', 'WebhookDown') });
    assert.ok(result);
    assert.ok(result.models.every((m) => m.decision.outcome === 'accepted'));
  });

  it("when a project's run trains a bring-your-own algorithm, then its project, dataset spec and algorithms reach the activities and its notifications name the project; a demo run's inputs name none", async () => {
    const { result, calls } = await run({}, (q) => {
      const input = trainingInput(q);
      input.config.project = 'penguins';
      input.config.datasetSpecUri = 's3://mlops/projects/penguins/dataset-spec/abc/dataset-spec.json';
      input.config.models = [
        { family: 'xgboost', algorithm: { kind: 'xgboost' }, hyperparameters: {}, resources: { instanceType: 'ml.m5.large', instanceCount: 1 } },
        { family: 'hgb', algorithm: { kind: 'byo', name: 'hgb', command: ['python', 'main.py'], acceptsMissing: true }, hyperparameters: {}, resources: { instanceType: 'ml.m5.large', instanceCount: 1 } },
      ];
      return input;
    });
    assert.ok(result, 'the run completed');
    assert.equal(calls.preprocessInputs[0]!.datasetSpecUri, 's3://mlops/projects/penguins/dataset-spec/abc/dataset-spec.json');
    assert.deepEqual(calls.projectInputs.sort(), [
      'exportChampionConfig:hgb:penguins:-',
      'exportChampionConfig:xgboost:penguins:-',
      'registerModelVersion:hgb:penguins:byo',
      'registerModelVersion:xgboost:penguins:xgboost',
      'runTrainingJob:hgb:-:byo',
      'runTrainingJob:xgboost:-:xgboost',
    ]);
    const done = calls.notifications.find((n) => n.kind === 'training.succeeded')!;
    assert.match(done.subject, /^\[penguins\] training run finished/);
    assert.equal(done.details?.project, 'penguins');

    const demo = await run({});
    assert.deepEqual(demo.calls.projectInputs.filter((c) => !c.endsWith(':-:-')), []);
    assert.doesNotMatch(demo.calls.notifications[0]!.subject, /^\[/);
  });

  it('when the input names an unknown model family, then the run fails with InvalidInput before any activity', async () => {
    const { error, calls } = await run({}, (q) => {
      const input = trainingInput(q);
      (input.config.models[0] as { family: string }).family = 'random-forest';
      return input;
    });
    assert.ok(error);
    assert.equal((error.cause as ApplicationFailure).type, ErrorType.InvalidInput);
    assert.deepEqual(calls.activities, []);
  });

  it('when the run is queried while one model still trains, then it reports each model at its own stage', async () => {
    const taskQueue = `training-${randomUUID()}`;
    let release!: () => void;
    const xgboostTrains = new Promise<void>((r) => (release = r));
    const { activities, calls } = mockActivities({ duringTraining: (family) => (family === 'xgboost' ? xgboostTrains : Promise.resolve()) });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(trainingPipeline, { taskQueue, workflowId: `training/test/${randomUUID()}`, args: [trainingInput(taskQueue)] });
      const deadline = Date.now() + 30_000;
      let progress = await handle.query(trainingProgressQuery);
      while (progress.models['linear-learner'] !== 'accepted' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        progress = await handle.query(trainingProgressQuery);
      }
      assert.deepEqual(progress.models, { xgboost: 'training', 'linear-learner': 'accepted' }, 'linear-learner went through every step while xgboost trains');
      assert.equal(progress.stage, 'training');
      assert.match(progress.featureSchemaUri ?? '', /feature-schema\.json$/);
      assert.deepEqual(calls.exported, ['linear-learner']);
      release();
      await handle.result();
      const done = await handle.query(trainingProgressQuery);
      assert.equal(done.stage, 'completed');
      assert.deepEqual(done.models, { xgboost: 'accepted', 'linear-learner': 'accepted' });
    });
  });
});

