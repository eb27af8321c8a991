import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ObjectCreatedEvent } from '../../../../client/webhook/event-schemas';
import { EventInbox } from '../../../../client/webhook/inbox';
import { defaultRoutes } from '../../../../client/webhook/routes';
import { PipelineNotAvailableError, type PipelineStarter } from '../../../../client/webhook/start-run';

const [TRAINING] = defaultRoutes('mlops');
const event = (key: string, etag = 'e1'): ObjectCreatedEvent => ({ source: 's3', bucket: 'mlops', key, eventName: 'ObjectCreated:Put', etag });

/** A starter that records calls; its behaviour per call can be scripted. */
function recordingStarter(behaviour: (n: number) => 'ok' | 'existing' | 'transient' | 'permanent' = () => 'ok') {
  const calls: string[] = [];
  const start: PipelineStarter = async (route, e) => {
    calls.push(e.key);
    const mode = behaviour(calls.length);
    if (mode === 'transient') throw new Error('Temporal unavailable');
    if (mode === 'permanent') throw new PipelineNotAvailableError(route.pipeline);
    return { workflowId: `training/${e.bucket}/${e.key}@${e.etag}`, started: mode === 'ok' };
  };
  return { start, calls };
}

describe('client/webhook/inbox', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-inbox-'));
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('when an event is accepted, then it is answered with its workflow id before the run starts, and started once', async () => {
    const { start, calls } = recordingStarter();
    const inbox = new EventInbox({ dir, start });
    await inbox.open();
    const answer = await inbox.starter(TRAINING!, event('training/a.csv'));
    assert.deepEqual(answer, { workflowId: 'training/mlops/training/a.csv@e1', started: false, queued: true });
    await inbox.drained();
    assert.deepEqual(calls, ['training/a.csv']);
    assert.equal(inbox.stats.started, 1);
    await inbox.close();
  });

  it('when the same event is delivered 20 times, also concurrently, then it is journaled once and started once', async () => {
    const { start, calls } = recordingStarter();
    const inbox = new EventInbox({ dir, start });
    await inbox.open();
    const answers = await Promise.all(Array.from({ length: 20 }, () => inbox.starter(TRAINING!, event('training/b.csv'))));
    assert.ok(answers.every((a) => a.workflowId === 'training/mlops/training/b.csv@e1'));
    assert.equal(answers.filter((a) => a.queued).length, 1);
    await inbox.drained();
    assert.deepEqual(calls, ['training/b.csv']);
    assert.equal((await fs.readFile(path.join(dir, 'inbox.jsonl'), 'utf8')).trim().split('\n').length, 1);
    await inbox.close();
  });

  it('when the process stops before the runs start, then a new inbox on the same journal starts every accepted event once', async () => {
    const first = new EventInbox({ dir, start: recordingStarter(() => 'transient').start });
    await first.open();
    for (const key of ['training/c1.csv', 'training/c2.csv', 'training/c3.csv']) await first.starter(TRAINING!, event(key));
    await first.close(); // Temporal was down the whole time: nothing was dispatched

    const { start, calls } = recordingStarter();
    const second = new EventInbox({ dir, start });
    await second.open();
    await second.drained();
    assert.deepEqual(calls.sort(), ['training/c1.csv', 'training/c2.csv', 'training/c3.csv']);
    await second.close();

    const third = new EventInbox({ dir, start: recordingStarter().start });
    await third.open();
    await third.drained();
    assert.equal(third.stats.started + third.stats.existing, 0, 'nothing is replayed twice');
    await third.close();
  });

  it('when a start fails transiently, then it is retried until it succeeds', async () => {
    const { start, calls } = recordingStarter((n) => (n < 3 ? 'transient' : 'ok'));
    const inbox = new EventInbox({ dir, start });
    await inbox.open();
    await inbox.starter(TRAINING!, event('training/d.csv'));
    await inbox.drained();
    assert.equal(calls.length, 3);
    assert.equal(inbox.stats.retries, 2);
    assert.equal(inbox.stats.started, 1);
    await inbox.close();
  });

  it('when a start fails permanently, then it is recorded as failed and not retried', async () => {
    const { start, calls } = recordingStarter(() => 'permanent');
    const inbox = new EventInbox({ dir, start, isPermanent: (err) => err instanceof PipelineNotAvailableError });
    await inbox.open();
    await inbox.starter(TRAINING!, event('training/e.csv'));
    await inbox.drained();
    assert.equal(calls.length, 1);
    assert.equal(inbox.stats.failed, 1);
    const outcomes = (await fs.readFile(path.join(dir, 'dispatched.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { outcome: string });
    assert.deepEqual(outcomes.map((o) => o.outcome), ['failed']);
    await inbox.close();
  });

  it('when an event names no version, then it is started directly (only a start can tell its id)', async () => {
    const { start, calls } = recordingStarter();
    const inbox = new EventInbox({ dir, start });
    await inbox.open();
    const answer = await inbox.starter(TRAINING!, { source: 's3', bucket: 'mlops', key: 'training/f.csv', eventName: 'ObjectCreated:Put' });
    assert.equal(answer.queued, undefined);
    assert.equal(answer.started, true);
    assert.deepEqual(calls, ['training/f.csv']);
    await inbox.close();
  });
});
