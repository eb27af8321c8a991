import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import type { ComparisonRule } from '../../../common/types/governance';
import type { TrainingInput, TrainingResult } from '../../../common/types/training';
import { trainingPipeline } from '../../../workflows';
import { decideApprovalUpdate, pendingApprovalsQuery } from '../../../workflows/training/approval';
import { MILEAGE_DRIFT } from '../../helpers/monitoring-fixtures';
import { createTimeSkippingEnv } from '../../helpers/temporal-env';
import { metrics, mockActivities, trainingInput, type MockBehaviour, type MockCalls } from '../../helpers/training-fixtures';
import { bundleWorkflows } from '../../helpers/workflow-bundle';

/**
 * Governance of step 6 and the data checks: the challenger against the champion on the same rows
 * (margins, significance), a champion that cannot be compared, new data that shifted from the
 * champion's, and metrics that look too good. Only xgboost is trained, so each case reads alone.
 */
describe('trainingPipeline governance (mocked activities, time skipping)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;

  before(async () => {
    [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  });

  after(async () => {
    await env?.teardown();
  });

  async function withRun<T>(behaviour: MockBehaviour, configure: (input: TrainingInput) => void, act: (handle: WorkflowHandle<typeof trainingPipeline>, calls: MockCalls) => Promise<T>): Promise<T> {
    const taskQueue = `governance-${randomUUID()}`;
    const { activities, calls } = mockActivities(behaviour);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    const input = trainingInput(taskQueue);
    input.config.models = input.config.models.slice(0, 1);
    configure(input);
    return worker.runUntil(async () => act(await env.client.workflow.start(trainingPipeline, { taskQueue, workflowId: `training/governance/${randomUUID()}`, args: [input] }), calls));
  }

  const run = (behaviour: MockBehaviour, rule: ComparisonRule = {}, configure: (i: TrainingInput) => void = () => undefined): Promise<{ result: TrainingResult; calls: MockCalls }> =>
    withRun(behaviour, (i) => ((i.config.comparison = rule), configure(i)), async (handle, calls) => ({ result: await handle.result(), calls }));

  const CHAMPION = { xgboost: { version: 4, validationRmse: 2400 } };

  it('when there is no champion yet, then nothing is scored for a comparison and the model is accepted saying so', async () => {
    const { result, calls } = await run({ metrics: { xgboost: metrics(2300) } });
    assert.equal(result.models[0]!.decision.outcome, 'accepted');
    assert.match(result.models[0]!.decision.reason, /no champion yet/);
    assert.ok(!calls.activities.some((a) => a.startsWith('scoreSplit') || a.startsWith('compareModels') || a.startsWith('runDataQualityMonitor')));
    assert.deepEqual(calls.reusedTestPredictions, []);
  });

  it('when the challenger beats the champion on the same rows, then both models score both splits, the decision names both RMSEs, the baseline reuses the test predictions, and the registry records the comparison', async () => {
    const { result, calls } = await run({ metrics: { xgboost: metrics(2300) }, champion: CHAMPION });
    const xgb = result.models[0]!;
    assert.equal(xgb.decision.outcome, 'accepted');
    assert.match(xgb.decision.reason, /better than the champion: on the same 120 validation rows, RMSE 2300\.0 vs 2400\.0 of the champion \(version 4\) \(-4\.2 %\)/);
    assert.deepEqual(
      calls.activities.filter((a) => a.startsWith('scoreSplit')).sort(),
      ['scoreSplit:xgboost:challenger:test', 'scoreSplit:xgboost:challenger:validation', 'scoreSplit:xgboost:champion:test', 'scoreSplit:xgboost:champion:validation'],
    );
    assert.deepEqual(calls.reusedTestPredictions, ['xgboost'], 'step 7 does not score the test split a second time');
    const recorded = calls.decisions.find((d) => d.status === 'Approved')!;
    assert.equal(recorded.governance?.comparison?.championVersion, 4);
    assert.equal(recorded.governance?.comparison?.challenger.validation.rmse, 2300);
    assert.ok(calls.activities.includes('runDataQualityMonitor:training-split'), 'the new data is checked against the champion baseline');
  });

  it('when the rule asks for a relative margin, then a smaller improvement is rejected with the margin named', async () => {
    const { result } = await run({ metrics: { xgboost: metrics(2352) }, champion: CHAMPION }, { minRelativeImprovement: 0.05 });
    assert.equal(result.models[0]!.decision.outcome, 'rejected');
    assert.match(result.models[0]!.decision.reason, /not better than the champion: .* RMSE 2352\.0 vs 2400\.0 .*needs an improvement of at least 120\.0/);
  });

  it('when the rule asks for significance, then an interval reaching 0 rejects and an interval below 0 accepts, naming the interval and its seed', async () => {
    const significance = { confidence: 0.95, iterations: 1000, seed: 7 };
    const reached = await run({ metrics: { xgboost: metrics(2300) }, champion: CHAMPION, bootstrapInterval: { xgboost: [-180, 12] } }, { significance });
    assert.equal(reached.result.models[0]!.decision.outcome, 'rejected');
    assert.match(reached.result.models[0]!.decision.reason, /not significantly better .* 95 % interval of the difference \[-180\.0, 12\.0\] \(paired bootstrap, 1000 resamples, seed 7\) reaches 0/);
    assert.deepEqual(reached.calls.comparisons[0]?.bootstrap, significance, 'the comparison job is asked for the seeded bootstrap');
    const below = await run({ metrics: { xgboost: metrics(2300) }, champion: CHAMPION, bootstrapInterval: { xgboost: [-180, -20] } }, { significance });
    assert.equal(below.result.models[0]!.decision.outcome, 'accepted');
    assert.match(below.result.models[0]!.decision.reason, /significantly better than the champion/);
  });

  it('when the champion cannot be scored on the new data, then by default a person decides, told why; under onIncomparable reject it is rejected', async () => {
    await withRun({ metrics: { xgboost: metrics(2300) }, champion: { xgboost: { version: 4, validationRmse: 2400, comparable: false } } }, () => undefined, async (handle, calls) => {
      for (let i = 0; i < 200 && (await handle.query(pendingApprovalsQuery)).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      const requested = calls.notifications.find((n) => n.kind === 'approval.requested')!;
      assert.match(requested.message, /A person decides because: the champion \(version 4\) cannot be compared on these rows: the champion \(version 4\) was trained on other features/);
      assert.ok(!calls.activities.some((a) => a.startsWith('scoreSplit')), 'no comparison of unrelated numbers');
      await handle.executeUpdate(decideApprovalUpdate, { args: [{ approve: true, by: 'ines', reason: 'new features on purpose' }] });
      const result = await handle.result();
      assert.equal(result.models[0]!.decision.outcome, 'accepted');
      assert.equal(result.models[0]!.governance?.incomparable?.championVersion, 4);
    });
    const rejected = await run({ metrics: { xgboost: metrics(2300) }, champion: { xgboost: { version: 4, validationRmse: 2400, comparable: false } } }, { onIncomparable: 'reject' });
    assert.equal(rejected.result.models[0]!.decision.outcome, 'rejected');
    assert.match(rejected.result.models[0]!.decision.reason, /cannot be compared on these rows/);
  });

  it('when the new data shifted from the champion\'s, then a person must approve by default, and onShift reject rejects; the shift is recorded either way', async () => {
    await withRun({ metrics: { xgboost: metrics(2300) }, champion: CHAMPION, shiftViolations: [MILEAGE_DRIFT] }, () => undefined, async (handle, calls) => {
      for (let i = 0; i < 200 && (await handle.query(pendingApprovalsQuery)).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.match(calls.notifications.find((n) => n.kind === 'approval.requested')!.message, /the new training data shifted from the champion's \(version 4\): 1 violated check\(s\) of its data-quality baseline \(Mileage\)/);
      await handle.executeUpdate(decideApprovalUpdate, { args: [{ approve: false, by: 'jo', reason: 'bad data drop' }] });
      const result = await handle.result();
      assert.equal(result.models[0]!.decision.outcome, 'rejected');
      assert.equal(calls.decisions.at(-1)?.governance?.dataShift?.violations, 1);
    });
    const rejected = await run({ metrics: { xgboost: metrics(2300) }, champion: CHAMPION, shiftViolations: [MILEAGE_DRIFT] }, {}, (i) => (i.config.dataShift = { onShift: 'reject' }));
    assert.equal(rejected.result.models[0]!.decision.outcome, 'rejected');
    assert.match(rejected.result.models[0]!.decision.reason, /shifted from the champion's/);
    const reported = await run({ metrics: { xgboost: metrics(2300) }, champion: CHAMPION, shiftViolations: [MILEAGE_DRIFT] }, {}, (i) => (i.config.dataShift = { onShift: 'accept' }));
    assert.equal(reported.result.models[0]!.decision.outcome, 'accepted');
    assert.match(reported.result.models[0]!.governance!.warnings.join(), /shifted/);
  });

  it('when the validation RMSE is 0.0, then it is flagged as suspicious and a person decides even under the auto policy', async () => {
    await withRun({ metrics: { xgboost: metrics(0) } }, () => undefined, async (handle, calls) => {
      for (let i = 0; i < 200 && (await handle.query(pendingApprovalsQuery)).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.match(calls.notifications.find((n) => n.kind === 'approval.requested')!.message, /validation RMSE is 0\.0: a perfect fit usually means a leak/);
      await handle.executeUpdate(decideApprovalUpdate, { args: [{ approve: false, by: 'kim', reason: 'leak' }] });
      const result = await handle.result();
      assert.equal(result.models[0]!.decision.outcome, 'rejected');
      assert.match(result.models[0]!.governance!.warnings[0]!, /suspicious|perfect fit/);
    });
  });
});
