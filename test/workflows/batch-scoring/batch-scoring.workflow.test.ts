import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { ErrorType } from '../../../common/errors';
import type { ScoringInput, ScoringResult } from '../../../common/types/scoring';
import { batchScoringPipeline } from '../../../workflows';
import { createTimeSkippingEnv } from '../../helpers/temporal-env';
import { mockActivities, type MockBehaviour, type MockCalls } from '../../helpers/training-fixtures';
import { bundleWorkflows } from '../../helpers/workflow-bundle';


function scoringInput(taskQueue: string, overrides: Partial<ScoringInput['config']> = {}): ScoringInput {
  return {
    dataUri: 's3://mlops/scoring/cars.csv',
    trigger: 'test',
    config: {
      bucket: 'mlops',
      outputPrefix: 's3://mlops/scored',
      captureUri: 's3://mlops/capture/batch',
      generateInferenceId: true,
      resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
      maxJobRuntimeSeconds: 600,
      taskQueues: { orchestration: taskQueue, compute: taskQueue },
      ...overrides,
    },
  };
}

describe('batchScoringPipeline workflow (mocked activities)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;

  before(async () => {
    [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  });

  after(async () => {
    await env?.teardown();
  });

  async function run(behaviour: MockBehaviour, overrides: Partial<ScoringInput['config']> = {}): Promise<{ result?: ScoringResult; error?: WorkflowFailedError; calls: MockCalls }> {
    const taskQueue = `scoring-${randomUUID()}`;
    const { activities, calls } = mockActivities(behaviour);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    return worker.runUntil(async () => {
      try {
        const result = await env.client.workflow.execute(batchScoringPipeline, { taskQueue, workflowId: `scoring/test/${randomUUID()}`, args: [scoringInput(taskQueue, overrides)] });
        return { result, calls };
      } catch (err) {
        if (err instanceof WorkflowFailedError) return { error: err, calls };
        throw err;
      }
    });
  }

  it('when both champions exist, then the file is pre-processed once and scored by each with filters from the feature count, and a notification lists the outputs', async () => {
    const { result, calls } = await run({ scoringFeatureCount: 23 });
    assert.ok(result);
    assert.deepEqual(calls.activities.filter((a) => a === 'runScoringPreprocessingJob').length, 1, 'one schema, one pre-processing job');
    assert.deepEqual(calls.scoringPreprocess.map((p) => p.idColumns), [undefined], 'no idColumns: the job passes every non-feature column but the label');
    assert.deepEqual(calls.transforms.map((t) => t.family).sort(), ['linear-learner', 'xgboost']);
    for (const t of calls.transforms) {
      // 23 features first reach the model; everything after them, then the prediction, is kept.
      assert.deepEqual([t.inputFilter, t.joinSource, t.outputFilter], ['$[0:22]', 'Input', '$[23:]']);
      assert.match(t.inputPrefix, /\/features\/$/);
      assert.match(t.outputPath, new RegExp(`^s3://mlops/scored/[0-9a-f]{16}/${t.family}/$`));
    }
    assert.deepEqual(result.outputs.map((o) => o.outputUris[0]!.endsWith('cars.csv.out')), [true, true]);
    const note = calls.notifications.find((n) => n.kind === 'scoring.succeeded')!;
    assert.match(note.message, /cars\.csv\.out/);
  });

  it('when the configuration names id columns, then pre-processing passes exactly those around the model', async () => {
    const { result, calls } = await run({}, { idColumns: ['car_id', 'note'] });
    assert.ok(result);
    assert.deepEqual(calls.scoringPreprocess.map((p) => p.idColumns), [['car_id', 'note']]);
    assert.deepEqual(calls.transforms.map((t) => t.outputFilter), ['$[17:]', '$[17:]']);
  });

  it('when pre-processing reports no feature count (a run that pre-processed before pass-through columns), then the filters the run recorded are used', async () => {
    const recorded = { inputFilter: '$[1:]', joinSource: 'Input' as const, outputFilter: '$[0,-1]' };
    const { result, calls } = await run({ scoringFeatureCount: 'unreported' }, { dataProcessing: recorded });
    assert.ok(result);
    for (const t of calls.transforms) assert.deepEqual([t.inputFilter, t.joinSource, t.outputFilter], ['$[1:]', 'Input', '$[0,-1]']);
    const { error } = await run({ scoringFeatureCount: 'unreported' });
    assert.equal((error?.cause as ApplicationFailure | undefined)?.type, ErrorType.InvalidInput);
  });

  it('when one family is asked for, then only its champion scores', async () => {
    const { calls } = await run({}, { families: ['linear-learner'] });
    assert.deepEqual(calls.transforms.map((t) => t.family), ['linear-learner']);
  });

  it('when no model is approved yet, then the run fails without retry and says so', async () => {
    const { error, calls } = await run({ scoringModels: [] });
    assert.ok(error);
    assert.equal((error.cause?.cause as ApplicationFailure).type, 'NotFound');
    assert.match(calls.notifications.find((n) => n.kind === 'scoring.failed')!.message, /no approved model/);
    assert.deepEqual(calls.transforms, []);
  });

  it('when the scoring file breaks the schema, then nothing is scored and a failure notification names the problem', async () => {
    const message = "processing job x failed: ClientError: cars.csv: column 'Mileage', line 7: value 'abc' is not numeric";
    const { error, calls } = await run({ scoringPreprocessError: ApplicationFailure.nonRetryable(message, ErrorType.DatasetSchemaInvalid) });
    assert.ok(error);
    assert.deepEqual(calls.transforms, []);
    const failed = calls.notifications.find((n) => n.kind === 'scoring.failed')!;
    assert.match(failed.message, /Mileage/);
    assert.equal(failed.details?.failureType, ErrorType.DatasetSchemaInvalid);
  });

  it('when a batch transform fails, then the run fails with a notification', async () => {
    const { error, calls } = await run({ transformError: { xgboost: ApplicationFailure.nonRetryable('transform job failed: AlgorithmError: boom', ErrorType.JobFailed) } });
    assert.ok(error);
    assert.match(calls.notifications.find((n) => n.kind === 'scoring.failed')!.message, /boom/);
  });
});
