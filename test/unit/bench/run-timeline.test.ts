import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { runTimeline, type RecordedJob } from '../../../bench/lib/run-timeline';

type Event = temporal.api.history.v1.IHistoryEvent;

/** A history in the shape the server records, with times in ms. */
function history(): { events: Event[]; add: (ms: number, attrs: Omit<Event, 'eventId' | 'eventTime'>) => number } {
  const events: Event[] = [];
  return {
    events,
    add(ms, attrs) {
      const eventId = events.length + 1;
      events.push({ eventId: eventId as unknown as Event['eventId'], eventTime: { seconds: Math.floor(ms / 1000) as unknown as Long, nanos: (ms % 1000) * 1e6 }, ...attrs });
      return eventId;
    },
  };
}

type Long = NonNullable<temporal.api.history.v1.IHistoryEvent['eventId']>;

function workflowTask(h: ReturnType<typeof history>, scheduled: number, started: number, completed: number): void {
  const id = h.add(scheduled, { workflowTaskScheduledEventAttributes: {} });
  h.add(started, { workflowTaskStartedEventAttributes: { scheduledEventId: id as unknown as Long } });
  h.add(completed, { workflowTaskCompletedEventAttributes: { scheduledEventId: id as unknown as Long } });
}

function activity(h: ReturnType<typeof history>, type: string, input: object, scheduled: number, started: number, closed: number): void {
  const id = h.add(scheduled, { activityTaskScheduledEventAttributes: { activityType: { name: type }, input: { payloads: [defaultPayloadConverter.toPayload(input)] } } });
  h.add(started, { activityTaskStartedEventAttributes: { scheduledEventId: id as unknown as Long } });
  h.add(closed, { activityTaskCompletedEventAttributes: { scheduledEventId: id as unknown as Long } });
}

describe('bench run timeline (where the training overhead goes)', () => {
  it('when a run is read from its history and job records, then the overhead is split by cause and the parts add up to wall minus the critical path', () => {
    const h = history();
    h.add(100, { workflowExecutionStartedEventAttributes: {} });
    workflowTask(h, 100, 110, 120);
    activity(h, 'runPreprocessingJob', { jobName: 'preprocess-1' }, 120, 125, 1300);
    workflowTask(h, 1300, 1305, 1320);
    activity(h, 'runTrainingJob', { jobName: 'train-a-1' }, 1320, 1325, 3000);
    // The data-quality baseline runs beside the branch, long enough to contain its jobs: a shorter name match loses.
    activity(h, 'computeDataQualityBaseline', { jobName: 'baseline-data-1' }, 1320, 1330, 4005);
    workflowTask(h, 3000, 3000, 3010);
    activity(h, 'registerModelVersion', { family: 'a' }, 3010, 3012, 3040);
    workflowTask(h, 3040, 3042, 3050);
    activity(h, 'computeModelQualityBaseline', { jobName: 'baseline-model-a-1' }, 3050, 3055, 4000);
    workflowTask(h, 4000, 4002, 4010);
    h.add(4010, { workflowExecutionCompletedEventAttributes: {} });
    const jobs: RecordedJob[] = [
      { name: 'preprocess-1', start: 200, end: 1200, noticed: 1210, finalized: 1290 },
      { name: 'train-a-1', start: 1400, end: 2900, noticed: 2905, finalized: 2990 },
      { name: 'baseline-data-1', start: 1450, end: 2000, noticed: 2001, finalized: 2010 },
      { name: 'baseline-model-a-1-scoring', start: 3100, end: 3500, noticed: 3505, finalized: 3520 },
      { name: 'baseline-model-a-1', start: 3560, end: 3900, noticed: 3901, finalized: 3990 },
    ];

    const t = runTimeline(50, 4030, { events: h.events }, jobs);

    assert.deepEqual(t.criticalPath, { jobs: ['preprocess-1', 'train-a-1', 'baseline-model-a-1-scoring', 'baseline-model-a-1'], ms: 1000 + 1500 + 400 + 340 });
    assert.equal(t.wallMs, 3980);
    assert.deepEqual(t.overheadMs, {
      startCall: 50,
      firstWorkflowTaskPickup: 10,
      workflowTasks: 10 + 20 + 20 + 10,
      quickActivities: 30,
      activityDispatch: 5 + 5 + 5,
      jobStart: 75 + 75 + 45 + 40,
      jobEndNoticed: 10 + 5 + 5 + 1,
      jobOutputs: 80 + 85 + 15 + 89,
      activityCompletion: 10 + 10 + 10,
      resultRead: 20,
      unexplained: 0,
    });
    assert.equal(t.firstWorkflowTaskMs, 10);
    const sum = Object.values(t.overheadMs).reduce((s, v) => s + v, 0);
    assert.equal(sum, t.wallMs - t.criticalPath.ms);
  });
});
