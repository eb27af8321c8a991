import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServiceError } from '@temporalio/client';
import { REPO_ROOT } from '../../../../common/config/parse';
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

  it('when the last journal line is torn (a crash mid-write), then the complete lines are replayed, the torn one is skipped with a warning, and later events are not glued to it', async () => {
    const complete = [1, 2].map((seq) => JSON.stringify({ seq, workflowId: `training/mlops/training/t${seq}.csv@e1`, route: TRAINING, event: event(`training/t${seq}.csv`) }));
    await fs.writeFile(path.join(dir, 'inbox.jsonl'), `${complete.join('\n')}\n${complete[1]!.replace(/"seq":2/, '"seq":3').replace('t2.csv', 't3.csv').slice(0, 40)}`);
    const logs: string[] = [];

    const { start, calls } = recordingStarter(() => 'transient');
    const second = new EventInbox({ dir, start, log: (m) => logs.push(m) });
    await second.open();
    await second.starter(TRAINING!, event('training/t4.csv'));
    await second.close();

    assert.ok(logs.some((l) => /skipped 1 torn line\(s\) of inbox\.jsonl/.test(l)), logs.join('\n'));
    assert.ok(calls.includes('training/t1.csv') && calls.includes('training/t2.csv'));
    const third = recordingStarter();
    const inbox = new EventInbox({ dir, start: third.start });
    await inbox.open();
    await inbox.drained();
    assert.deepEqual(third.calls.sort(), ['training/t1.csv', 'training/t2.csv', 'training/t4.csv'], 'the event accepted after the crash survives too');
    await inbox.close();
  });

  it('when a journal of an earlier version has a complete entry glued to a torn one, then that entry is still replayed', async () => {
    const entry = (seq: number, key: string) => JSON.stringify({ seq, workflowId: `training/mlops/${key}@e1`, route: TRAINING, event: event(key) });
    await fs.writeFile(path.join(dir, 'inbox.jsonl'), `${entry(1, 'training/g1.csv')}\n${entry(2, 'training/g2.csv').slice(0, 30)}${entry(3, 'training/g3.csv')}\n`);

    const { start, calls } = recordingStarter();
    const inbox = new EventInbox({ dir, start });
    await inbox.open();
    await inbox.drained();
    await inbox.close();

    assert.deepEqual(calls.sort(), ['training/g1.csv', 'training/g3.csv']);
  });

  it('when the process is killed while it writes the journal, then every event it acknowledged is replayed by the next process', async function () {
    this.timeout(60_000);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test', 'helpers', 'inbox-writer-child.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'], cwd: REPO_ROOT });
    const acknowledged: string[] = [];
    let buffered = '';
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        acknowledged.push(...lines.filter((l) => l.startsWith('ack ')).map((l) => l.slice(4)));
        // Killed while writes are in flight: the child keeps several groups of appends going.
        if (acknowledged.length >= 300) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`the writer exited on its own (${code})`)));
    });
    await exited;

    const { start, calls } = recordingStarter();
    const inbox = new EventInbox({ dir, start, concurrency: 64 });
    await inbox.open();
    await inbox.drained();
    await inbox.close();

    const replayed = new Set(calls);
    assert.deepEqual(acknowledged.filter((key) => !replayed.has(key)), [], 'an acknowledged event was lost');
  });

  it('when a journal holds a key that can never start (written before keys were checked), then it is recorded as failed once and never replayed', async () => {
    const bad = event('training/../registry/x.csv');
    await fs.writeFile(path.join(dir, 'inbox.jsonl'), `${JSON.stringify({ seq: 1, workflowId: 'training/mlops/training/../registry/x.csv@e1', route: TRAINING, event: bad })}\n${JSON.stringify({ seq: 2, workflowId: 'w', route: TRAINING, event: event('training/ok.csv') })}\n`);

    const { start, calls } = recordingStarter();
    const inbox = new EventInbox({ dir, start });
    await inbox.open();
    await inbox.drained();
    await inbox.close();

    assert.deepEqual(calls, ['training/ok.csv']);
    assert.equal(inbox.stats.failed, 1);
    const outcomes = (await fs.readFile(path.join(dir, 'dispatched.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { seq: number; outcome: string; error?: string });
    assert.deepEqual(outcomes.find((o) => o.seq === 1), { seq: 1, outcome: 'failed', error: "the key has a '.' or '..' segment" });

    const again = recordingStarter();
    const next = new EventInbox({ dir, start: again.start });
    await next.open();
    await next.drained();
    await next.close();
    assert.deepEqual(again.calls, []);
  });

  it('when Temporal refuses a start as an invalid argument (e.g. an id over its limit), then it is recorded as failed, also on replay, instead of retried every 30 s forever', async () => {
    const invalid = new ServiceError('Failed to start Workflow', { cause: Object.assign(new Error('3 INVALID_ARGUMENT: WorkflowId length exceeds limit.'), { code: 3, details: 'WorkflowId length exceeds limit.', metadata: {} }) });
    let attempts = 0;
    const start: PipelineStarter = async () => {
      attempts += 1;
      throw invalid;
    };
    await fs.writeFile(path.join(dir, 'inbox.jsonl'), `${JSON.stringify({ seq: 7, workflowId: 'training/mlops/long@e1', route: TRAINING, event: event('training/long.csv') })}\n`);

    const inbox = new EventInbox({ dir, start });
    await inbox.open();
    await inbox.drained();
    await inbox.close();

    assert.equal(attempts, 1);
    assert.equal(inbox.stats.failed, 1);
    assert.equal(inbox.stats.retries, 0);
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
