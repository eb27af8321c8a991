import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';

interface HistoryEvent {
  eventType: string;
  userMetadata?: { summary?: { data?: string } };
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
}

/** The summary a scheduled activity carries into the Temporal UI's timeline (a JSON string payload). */
function summaryOf(event: HistoryEvent): string | undefined {
  const data = event.userMetadata?.summary?.data;
  return data ? (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as string) : undefined;
}

/**
 * The Temporal UI tells the story: in a recorded training history (dev server, since summaries
 * exist) every activity carries a summary naming its step, and a model's steps name the model, so
 * the two parallel branches can be told apart in the timeline.
 */
describe('activity summaries in recorded histories', () => {
  it('when a training run with deployment is recorded, then every activity names its step, and per-model steps name their model', async () => {
    const file = path.join(__dirname, 'histories', 'trainingPipeline-summaries-both-accepted-deployed.json');
    const { events } = JSON.parse(await fs.readFile(file, 'utf8')) as { events: HistoryEvent[] };
    const scheduled = events.filter((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED');
    assert.ok(scheduled.length >= 20, `${scheduled.length} activities`);
    const perModel = new Set(['runTrainingJob', 'registerModelVersion', 'readTrainingMetrics', 'findPreviousBest', 'computeModelQualityBaseline', 'createEndpointConfig', 'describeEndpointState', 'createEndpoint', 'updateEndpoint', 'waitForEndpoint', 'recordModelDecision', 'exportChampionConfig']);
    for (const event of scheduled) {
      const activity = event.activityTaskScheduledEventAttributes!.activityType.name;
      const summary = summaryOf(event);
      assert.ok(summary, `${activity} has a summary`);
      if (activity === 'notify') continue;
      assert.match(summary, /^step \d+: /, `${activity}: '${summary}' names its step`);
      if (perModel.has(activity)) assert.match(summary, /xgboost|linear-learner/, `${activity}: '${summary}' names its model`);
    }
    const step10 = scheduled.map(summaryOf).filter((s): s is string => s?.startsWith('step 10') === true).sort();
    assert.deepEqual(step10.slice(0, 4), ['step 10: check endpoint mlops-linear-learner', 'step 10: check endpoint mlops-xgboost', 'step 10: create endpoint mlops-linear-learner', 'step 10: update endpoint mlops-xgboost in place (was old-xgb)']);
    assert.match(step10[4]!, /^step 10: wait until mlops-linear-learner serves endpoint-config-linear-learner-/);
    assert.match(step10[5]!, /^step 10: wait until mlops-xgboost serves endpoint-config-xgboost-/);
    assert.equal(step10.length, 6);
  });
});
