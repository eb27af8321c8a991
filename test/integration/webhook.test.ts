import path from 'node:path';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createBackend } from '../../activities/backends';
import type { Config } from '../../common/config/schema';
import { DEFAULT_SNS_CERT_HOSTS } from '../../common/config/schema';
import { minioEscapeKey } from '../../client/webhook/event-schemas';
import { defaultRoutes } from '../../client/webhook/routes';
import { EventInbox } from '../../client/webhook/inbox';
import { buildWebhookServer } from '../../client/webhook/server';
import { objectETagCheck } from '../../client/webhook/object-check';
import { createTemporalStarter, isPermanentStartError } from '../../client/webhook/start-run';
import { startTraining } from '../../services/training/start-training';
import { pollUntil } from '../helpers/temp-dir';
import { createLocalEnv } from '../helpers/temporal-env';
import { tempDir, testConfig } from '../helpers/integration';
import { eventFixture } from '../helpers/webhook-fixtures';

const TOKEN = 'integration-token-0123456789';

interface RunsAnswer {
  runs: { workflowId: string; started: boolean; pipeline: string }[];
}

/**
 * The webhook with the real Temporal starter on a real dev server. No worker runs: a started
 * training run just waits for its first workflow task, which is all the dedupe check needs.
 */
describe('webhook (integration: dev server, real Temporal starter)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let client: Client;
  let home: string;
  let config: Config;
  let webhook: ReturnType<typeof buildWebhookServer>;
  let url: string;

  before(async () => {
    env = await createLocalEnv();
    client = env.client;
    home = await tempDir('webhook');
    config = testConfig({ home });
    webhook = buildWebhookServer({
      routes: defaultRoutes(config.bucket),
      starter: createTemporalStarter({ client, backend: createBackend(config), config }),
      credentials: { token: TOKEN },
      sns: { certHostPattern: new RegExp(DEFAULT_SNS_CERT_HOSTS), topics: [], maxAgeMs: 3600_000 },
      maxBodyBytes: 256 * 1024,
      log: () => undefined,
    });
    await webhook.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(webhook.app.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await webhook?.close();
    await env?.teardown();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  /** A one-record S3 notification for `key` with this ETag (no versionId, so the ETag names the version). */
  function s3Event(key: string, etag: string): unknown {
    const message = eventFixture<{ Records: { s3: { bucket: { name: string }; object: Record<string, unknown> } }[] }>('s3-multi-record.json');
    const record = message.Records[1]!;
    record.s3.bucket.name = config.bucket;
    record.s3.object = { key: key.split(' ').map(encodeURIComponent).join('+'), size: 81234, eTag: etag, sequencer: '0065E2F0A1B2C3D4F0' };
    return { Records: [record] };
  }

  async function post(path: string, body: unknown): Promise<{ status: number; body: RunsAnswer }> {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as RunsAnswer };
  }

  /** Executions with this id as Temporal's visibility reports them, polled until it settles on a value. */
  async function executionsWithId(workflowId: string): Promise<number> {
    const query = `WorkflowId = '${workflowId}'`;
    const count = async () => (await client.workflow.count(query)).count;
    await pollUntil(count, (n) => n > 0, { timeoutMs: 20_000, intervalMs: 50 });
    // Visibility is eventually consistent: the count must stay the same over several reads.
    const readings: number[] = [];
    await pollUntil(
      async () => {
        readings.push(await count());
        return readings;
      },
      (r) => r.length >= 5 && new Set(r.slice(-5)).size === 1,
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    let listed = 0;
    for await (const _ of client.workflow.list({ query })) listed += 1;
    assert.equal(listed, readings[readings.length - 1], 'list and count agree');
    return listed;
  }

  it('when the same S3 event is posted 20 times, partly concurrently, then every answer is 202 with the same workflow id and exactly one execution exists', async () => {
    const key = `training/used cars ${randomUUID().slice(0, 8)}.csv`;
    const etag = '9b2cf535f27731c974343645a3985328';
    const event = s3Event(key, etag);

    const concurrent = await Promise.all(Array.from({ length: 10 }, () => post('/hooks/s3', event)));
    const sequential = [];
    for (let i = 0; i < 10; i++) sequential.push(await post('/hooks/s3', event));
    const answers = [...concurrent, ...sequential];

    const expectedId = `training/${config.bucket}/${key}@${etag}`;
    for (const answer of answers) {
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      assert.equal(answer.body.runs.length, 1);
      assert.equal(answer.body.runs[0]!.workflowId, expectedId);
      assert.equal(answer.body.runs[0]!.pipeline, 'training');
    }
    assert.equal(answers.filter((a) => a.body.runs[0]!.started).length, 1, 'exactly one answer says it started the run');
    assert.equal(await executionsWithId(expectedId), 1);
    const description = await client.workflow.getHandle(expectedId).describe();
    assert.equal(description.status.name, 'RUNNING');
    assert.match(String((await description.memo)?.trigger), /^webhook:s3 ObjectCreated:Put \(rule training-data\)$/);
  });

  it('when the same object version is announced through MinIO and EventBridge, then they map to the same run and start nothing new', async () => {
    const key = `training/cars ${randomUUID().slice(0, 8)}+v2.csv`;
    const etag = '0f343b0931126a20f133d67c2b018a3b';
    const first = await post('/hooks/s3', s3Event(key, etag));
    const minio = eventFixture<{ Key: string; Records: { s3: { bucket: { name: string }; object: Record<string, unknown> } }[] }>('minio-put.json');
    minio.Key = `${config.bucket}/${key}`;
    minio.Records[0]!.s3.bucket.name = config.bucket;
    minio.Records[0]!.s3.object.key = minioEscapeKey(key);
    minio.Records[0]!.s3.object.eTag = etag;
    const eventBridge = eventFixture<{ detail: { bucket: { name: string }; object: Record<string, unknown> } }>('eventbridge-object-created.json');
    eventBridge.detail.bucket.name = config.bucket;
    eventBridge.detail.object = { key: minioEscapeKey(key).replace(/%2F/g, '/'), size: 81234, etag, sequencer: '0065E2F0A1B2C3D4E5' };

    const viaMinio = await post('/hooks', minio);
    const viaEventBridge = await post('/hooks', eventBridge);

    assert.equal(first.body.runs[0]!.started, true);
    for (const answer of [viaMinio, viaEventBridge]) {
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      assert.deepEqual(answer.body.runs, [{ workflowId: first.body.runs[0]!.workflowId, started: false, pipeline: 'training' }]);
    }
    assert.equal(await executionsWithId(first.body.runs[0]!.workflowId), 1);
  });

  it('when the same key arrives with a different ETag, then a second run starts', async () => {
    const key = `training/cars-${randomUUID().slice(0, 8)}.csv`;

    const v1 = await post('/hooks/s3', s3Event(key, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'));
    const v2 = await post('/hooks/s3', s3Event(key, 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'));

    assert.equal(v1.status, 202);
    assert.equal(v2.status, 202);
    assert.equal(v1.body.runs[0]!.started, true);
    assert.equal(v2.body.runs[0]!.started, true);
    assert.notEqual(v1.body.runs[0]!.workflowId, v2.body.runs[0]!.workflowId);
    assert.equal(await executionsWithId(v1.body.runs[0]!.workflowId), 1);
    assert.equal(await executionsWithId(v2.body.runs[0]!.workflowId), 1);
    const both = await client.workflow.count(`WorkflowId STARTS_WITH 'training/${config.bucket}/${key}@'`);
    assert.equal(both.count, 2);
  });

  it('when the run already ended, then a redelivery is still answered 202 with started false and nothing new starts', async () => {
    const key = `training/closed-${randomUUID().slice(0, 8)}.csv`;
    const event = s3Event(key, 'cccccccccccccccccccccccccccccccc');
    const first = await post('/hooks/s3', event);
    await client.workflow.getHandle(first.body.runs[0]!.workflowId).terminate('test: end the run');

    const again = await post('/hooks/s3', event);

    assert.equal(again.status, 202);
    assert.deepEqual(again.body.runs, [{ workflowId: first.body.runs[0]!.workflowId, started: false, pipeline: 'training' }]);
    assert.equal(await executionsWithId(first.body.runs[0]!.workflowId), 1);
  });

  it('when a scoring file arrives, then the scoring pipeline starts once for that object version', async () => {
    const key = `scoring/batch ${randomUUID().slice(0, 8)}.csv`;
    const etag = '0f343b0931126a20f133d67c2b018a3b';
    const first = await post('/hooks/s3', s3Event(key, etag));
    const again = await post('/hooks/s3', s3Event(key, etag));
    const expectedId = `scoring/${config.bucket}/${key}@${etag}`;
    for (const answer of [first, again]) {
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      assert.equal(answer.body.runs[0]!.workflowId, expectedId);
      assert.equal(answer.body.runs[0]!.pipeline, 'scoring');
    }
    assert.deepEqual([first.body.runs[0]!.started, again.body.runs[0]!.started], [true, false]);
    assert.equal(await executionsWithId(expectedId), 1);
    assert.equal((await client.workflow.getHandle(expectedId).describe()).type, 'batchScoringPipeline');
  });

  it('when a valid key of about 1,000 characters arrives, then its run starts on the dev server under an id within Temporal\'s 1000-byte limit, once', async () => {
    const key = `training/${Array.from({ length: 5 }, (_, i) => `${i}${randomUUID()}`.padEnd(190, 'x')).join('/')}/cars.csv`;
    const etag = '9b2cf535f27731c974343645a3985328';
    assert.ok(Buffer.byteLength(`training/${config.bucket}/${key}@${etag}`) > 1000, 'the raw id would be over the limit');

    const first = await post('/hooks/s3', s3Event(key, etag));
    const again = await post('/hooks/s3', s3Event(key, etag));

    assert.equal(first.status, 202, JSON.stringify(first.body));
    const id = first.body.runs[0]!.workflowId;
    assert.ok(Buffer.byteLength(id) <= 1000);
    assert.deepEqual([first.body.runs[0]!.started, again.body.runs[0]!.started, again.body.runs[0]!.workflowId], [true, false, id]);
    assert.equal(await executionsWithId(id), 1);
    assert.equal((await (await client.workflow.getHandle(id).describe()).memo)?.dataUri, `s3://${config.bucket}/${key}`, 'the run reads the full key');
  });

  it('when the dev server is asked for an id over 1000 bytes, then it refuses it as INVALID_ARGUMENT, which the inbox records as failed rather than retrying', async () => {
    const err = await client.workflow.start('trainingPipeline', { taskQueue: 'nowhere', workflowId: `training/${'x'.repeat(1000)}`, args: [] }).then(
      () => undefined,
      (e: unknown) => e,
    );

    assert.ok(err instanceof Error, 'the dev server accepted a 1009-byte id');
    assert.match(`${err.message} ${String((err as { cause?: Error }).cause?.message)}`, /length|limit|too long/i);
    assert.equal(isPermanentStartError(err), true);
  });

  it("when a routed key has a '..' segment, then the webhook answers 400 naming the rule and no run exists", async () => {
    const key = `training/${randomUUID().slice(0, 8)}/../../registry/x.csv`;

    const answer = await post('/hooks/s3', s3Event(key, '9b2cf535f27731c974343645a3985328'));

    assert.equal(answer.status, 400);
    assert.match((answer.body as unknown as { message: string }).message, /'\.' or '\.\.' segment/);
    assert.equal((await client.workflow.count(`WorkflowId STARTS_WITH 'training/${config.bucket}/${key.slice(0, 17)}'`)).count, 0);
  });

  it("when the event's ETag is checked against the store, then a quoted upper-case ETag and 'mlops train --data s3://...' (a HEAD) name one run, and a stale event starts nothing", async () => {
    const backend = createBackend(config);
    const checked = buildWebhookServer({
      routes: defaultRoutes(config.bucket),
      starter: createTemporalStarter({ client, backend, config }),
      credentials: { token: TOKEN },
      sns: { certHostPattern: new RegExp(DEFAULT_SNS_CERT_HOSTS), topics: [], maxAgeMs: 3600_000 },
      maxBodyBytes: 256 * 1024,
      log: () => undefined,
      checkObject: objectETagCheck(backend.objectStore),
    });
    await checked.app.listen({ host: '127.0.0.1', port: 0 });
    const checkedUrl = `http://127.0.0.1:${(checked.app.server.address() as AddressInfo).port}`;
    const postChecked = async (body: unknown) => {
      const response = await fetch(`${checkedUrl}/hooks/s3`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as RunsAnswer & { ignored?: boolean; reason?: string } };
    };
    try {
      const key = `training/checked ${randomUUID().slice(0, 8)}.csv`;
      const meta = await backend.objectStore.put(`s3://${config.bucket}/${key}`, 'Price,Mileage\n1,2\n');

      const event = await postChecked(s3Event(key, `"${meta.etag.toUpperCase()}"`));
      const cli = await startTraining(client, backend, config, { data: `s3://${config.bucket}/${key}`, trigger: 'cli' });
      const stale = await postChecked(s3Event(key, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'));

      assert.equal(event.status, 202, JSON.stringify(event.body));
      assert.equal(event.body.runs[0]!.workflowId, `training/${config.bucket}/${key}@${meta.etag}`);
      assert.deepEqual([cli.workflowId, cli.started], [event.body.runs[0]!.workflowId, false]);
      assert.deepEqual([stale.status, stale.body.ignored], [200, true]);
      assert.match(stale.body.reason!, /stale or forged: .* has ETag [0-9a-f]{32} now, the event names a{32}/);
      assert.equal(await executionsWithId(event.body.runs[0]!.workflowId), 1);
      assert.equal((await client.workflow.count(`WorkflowId STARTS_WITH 'training/${config.bucket}/${key}@'`)).count, 1);
    } finally {
      await checked.close();
    }
  });

  it('when the webhook journals events (queued dispatch), then 20 deliveries are answered at once with the same id and exactly one run starts', async () => {
    const inboxDir = path.join(home, `inbox-${randomUUID().slice(0, 8)}`);
    const inbox = new EventInbox({ dir: inboxDir, start: createTemporalStarter({ client, backend: createBackend(config), config }) });
    await inbox.open();
    const queued = buildWebhookServer({
      routes: defaultRoutes(config.bucket),
      starter: inbox.starter,
      credentials: { token: TOKEN },
      sns: { certHostPattern: new RegExp(DEFAULT_SNS_CERT_HOSTS), topics: [], maxAgeMs: 3600_000 },
      maxBodyBytes: 256 * 1024,
      log: () => undefined,
    });
    await queued.app.listen({ host: '127.0.0.1', port: 0 });
    const queuedUrl = `http://127.0.0.1:${(queued.app.server.address() as AddressInfo).port}`;
    try {
      const key = `training/queued ${randomUUID().slice(0, 8)}.csv`;
      const etag = '5d41402abc4b2a76b9719d911017c592';
      const event = s3Event(key, etag);
      const answers = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const response = await fetch(`${queuedUrl}/hooks/s3`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(event) });
          return { status: response.status, body: (await response.json()) as RunsAnswer };
        }),
      );
      const expectedId = `training/${config.bucket}/${key}@${etag}`;
      for (const a of answers) {
        assert.equal(a.status, 202);
        assert.equal(a.body.runs[0]!.workflowId, expectedId);
      }
      assert.equal(answers.filter((a) => (a.body.runs[0] as { queued?: boolean }).queued).length, 1, 'journaled once');
      await inbox.drained();
      assert.equal(await executionsWithId(expectedId), 1);
    } finally {
      await queued.close();
      await inbox.close();
    }
  });
});
