import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { LocalNotifier } from '../../../../../activities/backends/local/notifier';
import type { Notification } from '../../../../../common/types/notification';
import { createTempDir, removeTempDir } from '../../../../helpers/temp-dir';

function notification(id: string, overrides: Partial<Notification> = {}): Notification {
  return { id, kind: 'training.succeeded', severity: 'info', subject: `subject ${id}`, message: 'line 1\nline 2', workflowId: 'wf', runId: 'run', ...overrides };
}

/** A webhook receiver on 127.0.0.1 with a free port; answers each POST with `status`. */
async function startWebhook(status: () => number): Promise<{ url: string; received: unknown[]; close: () => Promise<void> }> {
  const received: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ method: req.method, contentType: req.headers['content-type'], body: JSON.parse(body) as unknown });
      res.writeHead(status()).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook?token=secret`,
    received,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

describe('activities/backends/local/notifier', () => {
  let tmp: string;
  let outboxDir: string;

  beforeEach(async () => {
    tmp = await createTempDir();
    outboxDir = path.join(tmp, 'outbox');
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  async function outboxLines(): Promise<Record<string, unknown>[]> {
    const text = await fs.readFile(path.join(outboxDir, 'outbox.jsonl'), 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  it('when a notification is sent, then one JSON line with a time is appended to the outbox', async () => {
    const notifier = new LocalNotifier({ outboxDir });

    const delivered = await notifier.send(notification('n1', { details: { rmse: 2300 } }));

    assert.equal(delivered, true);
    const lines = await outboxLines();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.id, 'n1');
    assert.equal(lines[0]?.message, 'line 1\nline 2');
    assert.deepEqual(lines[0]?.details, { rmse: 2300 });
    assert.ok(!Number.isNaN(Date.parse(String(lines[0]?.time))));
  });

  it('when the same id is sent twice, then it is delivered once and the second send returns false', async () => {
    const notifier = new LocalNotifier({ outboxDir });

    const first = await notifier.send(notification('same'));
    const second = await notifier.send(notification('same', { subject: 'changed' }));
    const fromAnotherInstance = await new LocalNotifier({ outboxDir }).send(notification('same'));

    assert.deepEqual([first, second, fromAnotherInstance], [true, false, false]);
    assert.equal((await outboxLines()).length, 1);
  });

  it('when ids contain slashes and other URL characters, then each is delivered once on its own', async () => {
    const notifier = new LocalNotifier({ outboxDir });
    const ids = ['training/mlops/cars.csv@e1/run-1/run-succeeded', 'training/mlops/cars.csv@e1/run-1/run-failed', 'a?b=c&d#e', '%2F'];

    for (const id of ids) assert.equal(await notifier.send(notification(id)), true, id);
    for (const id of ids) assert.equal(await notifier.send(notification(id)), false, id);

    assert.deepEqual((await outboxLines()).map((l) => l.id), ids);
  });

  it('when long ids share their first 200 characters, then each is still delivered', async () => {
    const notifier = new LocalNotifier({ outboxDir });
    const head = `training/mlops/${'datasets/'.repeat(20)}cars.csv@etag/run-1/`;
    const ids = [`${head}model-rejected/xgboost`, `${head}model-rejected/linear-learner`, `${head}run-succeeded`];

    const results = [];
    for (const id of ids) results.push(await notifier.send(notification(id)));

    assert.deepEqual(results, [true, true, true]);
    assert.deepEqual((await outboxLines()).map((l) => l.id), ids);
    assert.equal(await notifier.send(notification(ids[1]!)), false);
  });

  it('when recent(n) is asked, then it returns the last n, oldest first', async () => {
    const notifier = new LocalNotifier({ outboxDir });
    for (const id of ['a', 'b', 'c', 'd']) await notifier.send(notification(id));

    assert.deepEqual((await notifier.recent(2)).map((n) => n.id), ['c', 'd']);
    assert.deepEqual((await notifier.recent(10)).map((n) => n.id), ['a', 'b', 'c', 'd']);
  });

  it('when recent(0) is asked, then it returns none', async () => {
    const notifier = new LocalNotifier({ outboxDir });
    await notifier.send(notification('a'));

    assert.deepEqual(await notifier.recent(0), []);
  });

  it('when nothing was ever sent, then recent returns an empty array', async () => {
    assert.deepEqual(await new LocalNotifier({ outboxDir }).recent(5), []);
  });

  describe('webhook target', () => {
    let webhook: Awaited<ReturnType<typeof startWebhook>> | undefined;
    let status = 200;

    beforeEach(async () => {
      status = 200;
      webhook = await startWebhook(() => status);
    });

    afterEach(async () => {
      await webhook?.close();
    });

    it('when a webhook is configured, then it receives the notification as a JSON POST and the outbox gets the line', async () => {
      const notifier = new LocalNotifier({ outboxDir, webhookUrl: webhook!.url });

      await notifier.send(notification('hooked'));

      assert.equal(webhook!.received.length, 1);
      const request = webhook!.received[0] as { method: string; contentType: string; body: Record<string, unknown> };
      assert.equal(request.method, 'POST');
      assert.equal(request.contentType, 'application/json');
      assert.equal(request.body.id, 'hooked');
      assert.equal(request.body.subject, 'subject hooked');
      assert.equal(typeof request.body.time, 'string');
      assert.equal((await outboxLines()).length, 1);
    });

    it('when the webhook answers 500, then send throws and writes no outbox line, so a retry delivers it', async () => {
      const notifier = new LocalNotifier({ outboxDir, webhookUrl: webhook!.url });
      status = 500;

      await assert.rejects(notifier.send(notification('retry-me')), /webhook answered 500/);
      assert.deepEqual(await outboxLines(), []);

      status = 200;
      const retried = await notifier.send(notification('retry-me'));

      assert.equal(retried, true);
      assert.deepEqual((await outboxLines()).map((l) => l.id), ['retry-me']);
      assert.equal(webhook!.received.length, 2);
    });

    it('when an id was already delivered, then the webhook is not called again', async () => {
      const notifier = new LocalNotifier({ outboxDir, webhookUrl: webhook!.url });
      await notifier.send(notification('once'));

      await notifier.send(notification('once'));

      assert.equal(webhook!.received.length, 1);
    });
  });
});
