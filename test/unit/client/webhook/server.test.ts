import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { LocalObjectStore } from '../../../../activities/backends/local/object-store';
import { signBody } from '../../../../client/webhook/auth';
import { minioEscapeKey } from '../../../../client/webhook/event-schemas';
import { objectETagCheck } from '../../../../client/webhook/object-check';
import { buildWebhookServer, type WebhookServerOptions } from '../../../../client/webhook/server';
import { defaultRoutes, type RouteRule } from '../../../../client/webhook/routes';
import { PipelineNotAvailableError } from '../../../../client/webhook/start-run';
import { UsageError } from '../../../../services/usage-error';
import { DEFAULT_SNS_CERT_HOSTS } from '../../../../common/config/schema';
import { createSigningIdentity, signSnsMessage, type SigningIdentity } from '../../../helpers/sns-signing';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';
import { eventFixture, eventFixtureText, recordingStarter, type RecordingStarter } from '../../../helpers/webhook-fixtures';

const TOKEN = 'test-token-0123456789';
const SECRET = 'test-hmac-secret-0123456789';
const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem';
const MAX_BODY = 4096;

interface Answer {
  status: number;
  body: {
    runs?: { workflowId: string; started: boolean; pipeline: string }[];
    ignored?: boolean | { key: string; reason: string }[];
    reason?: string;
    error?: string;
    message?: string;
    confirmed?: boolean;
  };
}

describe('client/webhook/server', () => {
  let identity: SigningIdentity;
  let recorder: RecordingStarter;
  let fetchedCerts: string[];
  let subscribeGets: string[];
  let logLines: string[];
  let server: ReturnType<typeof buildWebhookServer> | undefined;
  let baseUrl: string;

  before(() => {
    identity = createSigningIdentity();
  });

  beforeEach(() => {
    recorder = recordingStarter();
    fetchedCerts = [];
    subscribeGets = [];
    logLines = [];
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(overrides: Partial<WebhookServerOptions> = {}): Promise<void> {
    server = buildWebhookServer({
      routes: defaultRoutes('mlops'),
      starter: recorder.starter,
      credentials: { token: TOKEN, hmacSecret: SECRET },
      sns: {
        certHostPattern: new RegExp(DEFAULT_SNS_CERT_HOSTS),
        topics: [],
        maxAgeMs: 3600_000,
        fetchCertificate: async (url) => {
          fetchedCerts.push(url);
          return identity.certificatePem;
        },
        httpGet: async (url) => {
          subscribeGets.push(url);
        },
      },
      maxBodyBytes: MAX_BODY,
      log: (line) => logLines.push(line),
      ...overrides,
    });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  }

  async function post(path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<Answer> {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  }

  /** An SNS message as SNS posts it: fresh Timestamp, signed, text/plain. */
  function snsMessage(fixture: string, options: { version?: '1' | '2'; certUrl?: string; changes?: Record<string, string> } = {}): Record<string, string> {
    const message = { ...eventFixture<Record<string, string>>(fixture), Timestamp: new Date().toISOString(), ...options.changes };
    return signSnsMessage(message, identity, { certUrl: options.certUrl ?? CERT_URL, version: options.version ?? '1' });
  }

  function postSns(path: string, message: Record<string, string>): Promise<Answer> {
    return post(path, message, { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': message.Type! });
  }

  function lastLog(): string {
    return logLines[logLines.length - 1] ?? '';
  }

  describe('object-created events', () => {
    it('when an S3 message with several records arrives, then one run per routed record is started and answered 202, and the deletion is listed as ignored', async () => {
      await start();

      const answer = await post('/hooks/s3', eventFixture('s3-multi-record.json'));

      assert.equal(answer.status, 202);
      assert.deepEqual(answer.body.runs, [
        { workflowId: 'training/mlops/training/used cars 2005.csv@9b2cf535f27731c974343645a3985328-2', started: true, pipeline: 'training' },
        { workflowId: 'training/mlops/training/c++ models/price=usd.csv@0f343b0931126a20f133d67c2b018a3b', started: true, pipeline: 'training' },
      ]);
      assert.deepEqual(answer.body.ignored, [{ bucket: 'mlops', key: 'training/old data.csv', eventName: 'ObjectRemoved:Delete', reason: 'ObjectRemoved:Delete is not an object-created event' }]);
      assert.deepEqual(recorder.calls.map((c) => [c.route.name, c.event.key]), [['training-data', 'training/used cars 2005.csv'], ['training-data', 'training/c++ models/price=usd.csv']]);
      assert.match(lastLog(), /^\d{4}-\d\d-\d\dT[\d:.]+Z POST \/hooks\/s3 202 started training\/mlops\/training\/used cars 2005\.csv@9b2cf535f27731c974343645a3985328-2; started /);
    });

    it('when the same event is delivered again, then it is answered 202 again with the same workflow id and started false', async () => {
      await start();

      const first = await post('/hooks/minio', eventFixture('minio-put.json'));
      const again = await post('/hooks/minio', eventFixture('minio-put.json'));

      assert.equal(first.status, 202);
      assert.equal(again.status, 202);
      assert.deepEqual(first.body.runs, [{ workflowId: 'training/mlops/training/cars 2005+v2.csv@9b2cf535f27731c974343645a3985328', started: true, pipeline: 'training' }]);
      assert.deepEqual(again.body.runs, [{ ...first.body.runs![0]!, started: false }]);
    });

    it('when each format is posted to /hooks, then it is detected from the body', async () => {
      await start();

      for (const fixture of ['s3-multi-record.json', 'minio-put.json', 'eventbridge-object-created.json']) {
        const answer = await post('/hooks', eventFixture(fixture));
        assert.equal(answer.status, 202, fixture);
      }
      assert.deepEqual(recorder.calls.map((c) => c.event.source), ['s3', 's3', 'minio', 'eventbridge']);
    });

    it('when the S3 test event arrives, then it is acknowledged with 200 and nothing starts', async () => {
      await start();

      const answer = await post('/hooks/s3', eventFixture('s3-test-event.json'));

      assert.equal(answer.status, 200);
      assert.equal(answer.body.ignored, true);
      assert.match(answer.body.reason!, /s3:TestEvent/);
      assert.equal(recorder.calls.length, 0);
    });

    it('when only a deletion arrives, or no rule matches the object, then it is acknowledged with ignored and a reason, and nothing starts', async () => {
      await start();
      const elsewhere = eventFixture<{ detail: { object: { key: string } } }>('eventbridge-object-created.json');
      elsewhere.detail.object.key = 'capture/2026/03/02/x.jsonl';

      const deleted = await post('/hooks/eventbridge', eventFixture('eventbridge-object-deleted.json'));
      const unrouted = await post('/hooks/eventbridge', elsewhere);

      assert.deepEqual([deleted.status, deleted.body.ignored], [200, true]);
      assert.match(deleted.body.reason!, /Object Deleted is not an object-created event/);
      assert.deepEqual([unrouted.status, unrouted.body.ignored], [200, true]);
      assert.equal(unrouted.body.reason, 'no routing rule matches s3://mlops/capture/2026/03/02/x.jsonl');
      assert.equal(recorder.calls.length, 0);
    });

    it('when a custom rule carries parameters, then the starter gets that rule', async () => {
      const routes: RouteRule[] = [{ name: 'strict', bucket: 'mlops', prefix: 'training/', pipeline: 'training', parameters: { threshold: 2500 } }];
      await start({ routes });

      await post('/hooks/minio', eventFixture('minio-put.json'));

      assert.deepEqual(recorder.calls[0]?.route, routes[0]);
    });

    it('when the answer is a HEAD probe or a ping, then it is 200 without credentials', async () => {
      await start();

      for (const path of ['/hooks', '/hooks/minio', '/hooks/s3', '/hooks/sns', '/hooks/eventbridge']) {
        const head = await fetch(`${baseUrl}${path}`, { method: 'HEAD' });
        assert.equal(head.status, 200, path);
      }
      assert.equal((await fetch(`${baseUrl}/ping`)).status, 200);
    });
  });

  describe('object keys and versions', () => {
    /** A MinIO notification of `key` (escaped the MinIO way) with this ETag, as MinIO posts it. */
    function minioEvent(key: string, etag = '9b2cf535f27731c974343645a3985328'): unknown {
      const message = eventFixture<{ Key: string; Records: { s3: { object: Record<string, unknown> } }[] }>('minio-put.json');
      message.Key = `mlops/${key}`;
      message.Records[0]!.s3.object = { ...message.Records[0]!.s3.object, key: minioEscapeKey(key), eTag: etag };
      return message;
    }

    const refused: [string, string, RegExp][] = [
      ["a '..' segment", 'training/../registry/champion.csv', /'\.' or '\.\.' segment/],
      ['a leading /', '/training/x.csv', /starts with '\/'/],
      ['a name over 200 bytes', `training/${'n'.repeat(201)}.csv`, /name in the key is longer than 200 bytes/],
      ['a newline', 'training/a\nb.csv', /control character/],
      ['more than 1024 bytes', `training/${'d'.repeat(150)}/`.repeat(7) + 'x.csv', /longer than 1024 bytes/],
    ];
    for (const [what, key, rule] of refused) {
      it(`when a routed key has ${what}, then 400 names the rule, nothing starts and the log line stays one line`, async () => {
        await start({ routes: [{ name: 'everything', bucket: 'mlops', pipeline: 'training' }] });

        const answer = await post('/hooks/minio', minioEvent(key));

        assert.equal(answer.status, 400);
        assert.equal(answer.body.error, 'InvalidObjectKey');
        assert.match(answer.body.message!, rule);
        assert.equal(recorder.calls.length, 0);
        assert.equal(logLines.length, 1);
        assert.doesNotMatch(lastLog(), /\n/);
        assert.match(lastLog(), / 400 refused: s3:\/\/mlops\//);
      });
    }

    it('when a valid key is about 1000 characters long, then it is accepted and its workflow id stays within 1000 bytes with a hash suffix', async () => {
      await start();
      const key = `training/${Array.from({ length: 5 }, (_, i) => `${i}`.repeat(190)).join('/')}/cars.csv`;

      const answer = await post('/hooks/minio', minioEvent(key));

      assert.equal(answer.status, 202);
      const id = answer.body.runs![0]!.workflowId;
      assert.ok(Buffer.byteLength(id) <= 1000, `${Buffer.byteLength(id)} bytes`);
      assert.match(id, /^training\/mlops\/training\/0000.*~[0-9a-f]{16}$/);
      assert.equal(recorder.calls[0]!.event.key, key, 'the run reads the object under its full key');
    });

    it('when one record of an S3 message has a bad key and another is fine, then 202 starts the good one and lists the refused one with its rule', async () => {
      await start();
      const message = eventFixture<{ Records: { s3: { object: { key: string } } }[] }>('s3-multi-record.json');
      message.Records[0]!.s3.object.key = 'training/a/../../x.csv';

      const answer = await post('/hooks/s3', message);

      assert.equal(answer.status, 202);
      assert.deepEqual(recorder.calls.map((c) => c.event.key), ['training/c++ models/price=usd.csv']);
      assert.deepEqual((answer.body as { refused?: unknown }).refused, [{ bucket: 'mlops', key: 'training/a/../../x.csv', eventName: 'ObjectCreated:CompleteMultipartUpload', rule: "the key has a '.' or '..' segment" }]);
    });

    it('when one object version is announced with a quoted upper-case ETag (S3) and a plain one (MinIO), then both name the same run', async () => {
      await start();
      const s3 = eventFixture<{ Records: { s3: { object: Record<string, unknown> } }[] }>('s3-multi-record.json');
      s3.Records = [s3.Records[1]!];
      s3.Records[0]!.s3.object = { key: 'training/cars.csv', size: 10, eTag: '"0F343B0931126A20F133D67C2B018A3B"', versionId: 'v-1' };

      const fromS3 = await post('/hooks/s3', s3);
      const fromMinio = await post('/hooks/minio', minioEvent('training/cars.csv', '0f343b0931126a20f133d67c2b018a3b'));

      assert.equal(fromS3.body.runs![0]!.workflowId, 'training/mlops/training/cars.csv@0f343b0931126a20f133d67c2b018a3b');
      assert.deepEqual(fromMinio.body.runs, [{ ...fromS3.body.runs![0]!, started: false }]);
    });

    describe('checked against the object store', () => {
      let tmp: string;
      let store: LocalObjectStore;

      beforeEach(async () => {
        tmp = await createTempDir('mlops-webhook-etag-');
        store = new LocalObjectStore(tmp);
      });

      afterEach(async () => {
        await removeTempDir(tmp);
      });

      it("when the event's ETag is the object's, then the run starts", async () => {
        const meta = await store.put('s3://mlops/training/cars.csv', 'a,b\n1,2\n');
        await start({ checkObject: objectETagCheck(store) });

        const answer = await post('/hooks/minio', minioEvent('training/cars.csv', meta.etag.toUpperCase()));

        assert.equal(answer.status, 202);
        assert.equal(recorder.calls.length, 1);
      });

      it('when the object has another ETag now (overwritten since, or a forged event), then 200 ignored with the reason, and nothing starts', async () => {
        const meta = await store.put('s3://mlops/training/cars.csv', 'the newer version');
        await start({ checkObject: objectETagCheck(store) });

        const answer = await post('/hooks/minio', minioEvent('training/cars.csv', '0f343b0931126a20f133d67c2b018a3b'));

        assert.equal(answer.status, 200);
        assert.equal(answer.body.ignored, true);
        assert.equal(answer.body.reason, `stale or forged: s3://mlops/training/cars.csv has ETag ${meta.etag} now, the event names 0f343b0931126a20f133d67c2b018a3b`);
        assert.equal(recorder.calls.length, 0);
      });

      it('when there is no object under the key now, then 200 ignored (deleted since, or never written), and nothing starts', async () => {
        await start({ checkObject: objectETagCheck(store) });

        const answer = await post('/hooks/minio', minioEvent('training/gone.csv'));

        assert.deepEqual([answer.status, answer.body.ignored], [200, true]);
        assert.match(answer.body.reason!, /stale or forged: no object at s3:\/\/mlops\/training\/gone\.csv now/);
        assert.equal(recorder.calls.length, 0);
      });

      it('when the store cannot answer, then the event is not checked: the run starts and the log says why', async () => {
        const logged: string[] = [];
        await start({ checkObject: objectETagCheck({ currentETag: () => Promise.reject(new Error('AccessDenied')) }, (m) => logged.push(m)) });

        const answer = await post('/hooks/minio', minioEvent('training/cars.csv'));

        assert.equal(answer.status, 202);
        assert.match(logged[0]!, /ETag of s3:\/\/mlops\/training\/cars\.csv not checked \(the store did not answer: AccessDenied\)/);
      });
    });
  });

  describe('rejections (nothing is started, each is logged with why)', () => {
    it('when the token is missing or wrong, then 401', async () => {
      await start();

      const missing = await post('/hooks/s3', eventFixture('s3-multi-record.json'), {});
      const wrong = await post('/hooks/minio', eventFixture('minio-put.json'), { authorization: 'Bearer not-the-token-000000' });
      const detected = await post('/hooks', eventFixture('minio-put.json'), {});

      assert.deepEqual([missing.status, wrong.status, detected.status], [401, 401, 401]);
      assert.equal(missing.body.error, 'Unauthorized');
      assert.equal(recorder.calls.length, 0);
      assert.match(logLines[0]!, / POST \/hooks\/s3 401 no credentials/);
      assert.match(logLines[1]!, / POST \/hooks\/minio 401 wrong token$/);
    });

    it('when the HMAC of the raw body is right, then it is accepted; when it is wrong or covers another body, then 401', async () => {
      await start();
      const text = eventFixtureText('minio-put.json');

      const good = await post('/hooks/minio', text, { 'x-mlops-signature': signBody(text, SECRET) });
      const bad = await post('/hooks/minio', text, { 'x-mlops-signature': signBody(text, 'some-other-secret-000') });
      const otherBody = await post('/hooks/minio', text.replace('81234', '81235'), { 'x-mlops-signature': signBody(text, SECRET) });

      assert.deepEqual([good.status, bad.status, otherBody.status], [202, 401, 401]);
      assert.equal(recorder.calls.length, 1);
      assert.match(lastLog(), /401 wrong X-Mlops-Signature/);
    });

    it('when the format is unknown, the body is not JSON, or the body is not the format of its path, then 400', async () => {
      await start();

      const unknown = await post('/hooks', { hello: 'world' });
      const notJson = await post('/hooks/s3', 'Records=1');
      const wrongPath = await post('/hooks/s3', eventFixture('eventbridge-object-created.json'));
      const badKey = await post('/hooks/minio', eventFixtureText('minio-put.json').replace('training%2Fcars', 'training%ZZcars'));

      assert.deepEqual([unknown.status, unknown.body.error], [400, 'UnknownEventFormat']);
      assert.deepEqual([notJson.status, notJson.body.error], [400, 'InvalidJson']);
      assert.deepEqual([wrongPath.status, wrongPath.body.error], [400, 'InvalidEvent']);
      assert.match(wrongPath.body.message!, /not a valid S3 event notification: Records/);
      assert.equal(badKey.status, 400);
      assert.equal(recorder.calls.length, 0);
      assert.match(logLines[0]!, /POST \/hooks 400 unknown event format/);
    });

    it('when the body is over the limit, then 413 before anything is read or started', async () => {
      await start();
      const big = { ...eventFixture('minio-put.json'), padding: 'x'.repeat(MAX_BODY) };

      const answer = await post('/hooks/minio', big);

      assert.equal(answer.status, 413);
      assert.equal(answer.body.error, 'PayloadTooLarge');
      assert.equal(recorder.calls.length, 0);
      assert.match(lastLog(), /POST \/hooks\/minio 413 the body exceeds 4096 bytes/);
    });

    it('when an unknown path is posted, then 404 and nothing starts', async () => {
      await start();

      const answer = await post('/hooks/sqs', eventFixture('s3-multi-record.json'));

      assert.equal(answer.status, 404);
      assert.equal(recorder.calls.length, 0);
    });

    it('when neither a token nor an HMAC secret is configured, then the server refuses to be built', () => {
      assert.throws(() => buildWebhookServer({ routes: [], starter: recorder.starter, credentials: {}, sns: { certHostPattern: /x/, topics: [], maxAgeMs: 1 }, maxBodyBytes: 1024 }), /never runs open/);
    });
  });

  describe('starter errors', () => {
    it('when the pipeline is not available yet, then 501 names it', async () => {
      recorder = recordingStarter((route) => (route.pipeline === 'scoring' ? new PipelineNotAvailableError('scoring') : undefined));
      await start();
      const message = eventFixture<{ Records: { s3: { object: { key: string } } }[] }>('minio-put.json');
      message.Records[0]!.s3.object.key = 'scoring%2Fbatch.csv';

      const answer = await post('/hooks/minio', message);

      assert.equal(answer.status, 501);
      assert.equal(answer.body.error, 'PipelineNotAvailable');
      assert.match(answer.body.message!, /pipeline 'scoring' not available yet/);
    });

    it('when the run cannot be started for a reason of the request (UsageError), then 422; an unexpected error is 500 without details', async () => {
      recorder = recordingStarter(() => new UsageError('--data: no object at s3://mlops/training/x.csv'));
      await start();
      const usage = await post('/hooks/minio', eventFixture('minio-put.json'));
      await server!.close();

      recorder = recordingStarter(() => new Error('disk on fire'));
      await start();
      const internal = await post('/hooks/minio', eventFixture('minio-put.json'));

      assert.deepEqual([usage.status, usage.body.error], [422, 'CannotStart']);
      assert.deepEqual([internal.status, internal.body.message], [500, 'the webhook failed; see its log']);
      assert.match(lastLog(), /500 internal error: Error: disk on fire/);
      assert.doesNotMatch(lastLog(), /\n/, 'the stack trace stays on one log line');
    });
  });

  describe('SNS', () => {
    it('when a message signed by AWS itself arrives (SignatureVersion 1 and 2), then its signature verifies against the real certificate and only its non-S3 Message is refused (400); tampered, it is 403', async () => {
      const fixture = eventFixture<{ certificateFile: string; messages: Record<string, string>[] }>('sns-aws-signed-notifications.json');
      const [v1, v2] = fixture.messages as [Record<string, string>, Record<string, string>];
      for (const message of [v1, v2]) {
        await start({
          sns: { certHostPattern: new RegExp(DEFAULT_SNS_CERT_HOSTS), topics: [], maxAgeMs: 3600_000, now: () => Date.parse(message.Timestamp!) + 60_000, fetchCertificate: async () => eventFixtureText(fixture.certificateFile) },
        });

        const real = await postSns('/hooks/sns', message);
        const tampered = await postSns('/hooks/sns', { ...message, Message: '{"Records": []}' });

        assert.deepEqual([real.status, real.body.error, real.body.message], [400, 'InvalidEvent', 'the SNS Message is not JSON (expected an S3 event notification)'], `SignatureVersion ${message.SignatureVersion}`);
        assert.deepEqual([tampered.status, tampered.body.error], [403, 'Forbidden']);
        assert.equal(recorder.calls.length, 0);
        await server!.close();
        server = undefined;
      }
    });

    it('when a Notification is signed with v1 or v2 by the certificate at an allowed URL, then its S3 records start runs without a token', async () => {
      await start();

      const v1 = await postSns('/hooks/sns', snsMessage('sns-notification.json', { version: '1' }));
      const v2 = await postSns('/hooks', snsMessage('sns-notification.json', { version: '2' }));

      assert.equal(v1.status, 202, JSON.stringify(v1.body));
      assert.equal(v2.status, 202, JSON.stringify(v2.body));
      assert.deepEqual(v1.body.runs, [{ workflowId: 'training/mlops/training/used cars 2005.csv@9b2cf535f27731c974343645a3985328', started: true, pipeline: 'training' }]);
      assert.equal(v2.body.runs![0]!.started, false, 'the same S3 event through SNS again');
      assert.deepEqual(recorder.calls.map((c) => c.event.source), ['sns', 'sns']);
      assert.deepEqual(fetchedCerts, [CERT_URL], 'the certificate is fetched once and cached');
    });

    it('when the signature is forged (Message changed after signing), then 403 even with a valid token, and nothing starts', async () => {
      await start();
      const message = snsMessage('sns-notification.json');
      const forged = { ...message, Message: message.Message!.replace('used+cars+2005.csv', 'evil.csv') };

      const answer = await post('/hooks/sns', forged, { 'content-type': 'text/plain', authorization: `Bearer ${TOKEN}` });

      assert.equal(answer.status, 403);
      assert.equal(answer.body.error, 'Forbidden');
      assert.equal(recorder.calls.length, 0);
      assert.match(lastLog(), /POST \/hooks\/sns 403 the signature does not verify/);
    });

    it('when the Timestamp is older than the maximum age, then 403 expired', async () => {
      await start({ sns: { certHostPattern: new RegExp(DEFAULT_SNS_CERT_HOSTS), topics: [], maxAgeMs: 3600_000, fetchCertificate: async () => identity.certificatePem } });

      const answer = await postSns('/hooks/sns', snsMessage('sns-notification.json', { changes: { Timestamp: new Date(Date.now() - 2 * 3600_000).toISOString() } }));

      assert.equal(answer.status, 403);
      assert.equal(answer.body.error, 'Expired');
      assert.equal(recorder.calls.length, 0);
    });

    it('when the SigningCertURL is on a foreign host, plain http, or not a .pem, then 403 and the URL is never fetched', async () => {
      await start();

      for (const certUrl of ['https://evil.example.com/cert.pem', 'http://sns.eu-west-1.amazonaws.com/cert.pem', 'https://sns.eu-west-1.amazonaws.com/cert.html']) {
        const answer = await postSns('/hooks/sns', snsMessage('sns-notification.json', { certUrl }));
        assert.equal(answer.status, 403, certUrl);
        assert.match(answer.body.message!, /SigningCertURL refused/);
      }
      assert.deepEqual(fetchedCerts, []);
      assert.equal(recorder.calls.length, 0);
    });

    it('when a SubscriptionConfirmation is signed and its SubscribeURL is on an allowed host, then it is confirmed by one GET', async () => {
      await start();
      const message = snsMessage('sns-subscription-confirmation.json', { version: '2' });

      const answer = await postSns('/hooks/sns', message);

      assert.equal(answer.status, 200);
      assert.equal(answer.body.confirmed, true);
      assert.deepEqual(subscribeGets, [message.SubscribeURL]);
      assert.equal(recorder.calls.length, 0);
    });

    it('when a signed SubscriptionConfirmation points its SubscribeURL at a foreign host, then 403 and it is never fetched', async () => {
      await start();

      for (const url of ['https://evil.example.com/?Action=ConfirmSubscription', 'http://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription']) {
        const answer = await postSns('/hooks/sns', snsMessage('sns-subscription-confirmation.json', { changes: { SubscribeURL: url } }));
        assert.equal(answer.status, 403, url);
        assert.match(answer.body.message!, /SubscribeURL refused/);
      }
      assert.deepEqual(subscribeGets, []);
    });

    it('when a SubscriptionConfirmation is not signed properly, then 403 and the SubscribeURL is not fetched', async () => {
      await start();
      const message = snsMessage('sns-subscription-confirmation.json');

      const answer = await postSns('/hooks/sns', { ...message, Token: `${message.Token}0` });

      assert.equal(answer.status, 403);
      assert.deepEqual(subscribeGets, []);
    });

    it('when an UnsubscribeConfirmation arrives signed, then it is acknowledged and nothing happens', async () => {
      await start();

      const answer = await postSns('/hooks/sns', snsMessage('sns-subscription-confirmation.json', { changes: { Type: 'UnsubscribeConfirmation' } }));

      assert.equal(answer.status, 200);
      assert.equal(answer.body.ignored, true);
      assert.deepEqual(subscribeGets, []);
    });

    it('when the topic is not in the allow-list, then 403', async () => {
      await start({ sns: { certHostPattern: new RegExp(DEFAULT_SNS_CERT_HOSTS), topics: ['arn:aws:sns:eu-west-1:111122223333:other'], maxAgeMs: 3600_000, fetchCertificate: async () => identity.certificatePem } });

      const answer = await postSns('/hooks/sns', snsMessage('sns-notification.json'));

      assert.equal(answer.status, 403);
      assert.match(answer.body.message!, /not in MLOPS_WEBHOOK_SNS_TOPICS/);
    });

    it('when the certificate cannot be fetched, then 502 (SNS retries a 5xx) and nothing starts', async () => {
      await start({ sns: { certHostPattern: new RegExp(DEFAULT_SNS_CERT_HOSTS), topics: [], maxAgeMs: 3600_000, fetchCertificate: () => Promise.reject(new Error('timeout')) } });

      const answer = await postSns('/hooks/sns', snsMessage('sns-notification.json'));

      assert.equal(answer.status, 502);
      assert.equal(recorder.calls.length, 0);
    });
  });
});
