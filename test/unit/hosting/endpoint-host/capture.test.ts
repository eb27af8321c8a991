import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CaptureWriter, type CapturedExchange, type CaptureSettings } from '../../../../hosting/endpoint-host/capture';
import { LocalObjectStore } from '../../../../activities/backends/local/object-store';
import { createTempDir, pollUntil, removeTempDir } from '../../../helpers/temp-dir';

const DESTINATION = 's3://mlops/model-monitor/data-capture';
const EVENT_ID = 'a727dc55-cbe1-498c-bcb9-9c12eea02b44';
const CAPTURE_FILE = /^(\d{2})-(\d{2})-(\d{3})-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.jsonl$/;

function settings(overrides: Partial<CaptureSettings> = {}): CaptureSettings {
  return {
    enableCapture: true,
    initialSamplingPercentage: 100,
    destinationS3Uri: DESTINATION,
    captureModes: ['Input', 'Output'],
    csvContentTypes: ['text/csv'],
    jsonContentTypes: ['application/json'],
    ...overrides,
  };
}

function exchange(overrides: Partial<CapturedExchange> = {}): CapturedExchange {
  return {
    endpointName: 'used-cars-xgb',
    variantName: 'AllTraffic',
    settings: settings(),
    eventId: EVENT_ID,
    inferenceId: 'req-0042',
    time: new Date('2025-06-01T12:29:02.871Z'),
    request: { contentType: 'text/csv', body: Buffer.from('2005,38000,6,1,0,1') },
    response: { contentType: 'text/csv; charset=utf-8', body: Buffer.from('14215.3') },
    ...overrides,
  };
}

describe('activities/backends/local/endpoint-host/capture', () => {
  let tmp: string;
  let store: LocalObjectStore;
  const writers: CaptureWriter[] = [];

  beforeEach(async () => {
    tmp = await createTempDir('mlops-capture-');
    store = new LocalObjectStore(path.join(tmp, 'objects'));
  });

  afterEach(async () => {
    for (const writer of writers.splice(0)) await writer.close();
    await removeTempDir(tmp);
  });

  /** A writer whose timer never fires during a test: flushes happen only when the test asks. */
  function newWriter(onError?: (err: unknown) => void): CaptureWriter {
    const writer = new CaptureWriter(store, { flushIntervalMs: 3_600_000, ...(onError ? { onError } : {}) });
    writers.push(writer);
    return writer;
  }

  /** Every capture file under the destination, as key relative to it, with its lines. */
  async function captured(): Promise<{ key: string; lines: string[] }[]> {
    const uris = await store.list(`${DESTINATION}/`);
    const out: { key: string; lines: string[] }[] = [];
    for (const uri of uris.sort()) {
      const text = (await store.get(uri)).toString('utf8');
      assert.ok(text.endsWith('\n'), `${uri} ends with a newline`);
      out.push({ key: uri.slice(DESTINATION.length + 1), lines: text.split('\n').filter(Boolean) });
    }
    return out;
  }

  async function capturedRecords(): Promise<Record<string, unknown>[]> {
    return (await captured()).flatMap((f) => f.lines.map((l) => JSON.parse(l) as Record<string, unknown>));
  }

  describe('record format', () => {
    it('when a CSV exchange is captured, then the line is SageMaker’s capture record, key for key and in order', async () => {
      const writer = newWriter();

      writer.record(exchange());
      await writer.close();

      const files = await captured();
      assert.equal(files.length, 1);
      assert.deepEqual(files[0]!.lines, [
        JSON.stringify({
          captureData: {
            endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: '2005,38000,6,1,0,1', encoding: 'CSV' },
            endpointOutput: { observedContentType: 'text/csv; charset=utf-8', mode: 'OUTPUT', data: '14215.3', encoding: 'CSV' },
          },
          eventMetadata: { eventId: EVENT_ID, inferenceId: 'req-0042', inferenceTime: '2025-06-01T12:29:02Z' },
          eventVersion: '0',
        }),
      ]);
    });

    it('when the caller passed no inference id, then eventMetadata has only eventId and inferenceTime', async () => {
      const writer = newWriter();
      const { inferenceId: _none, ...withoutId } = exchange();

      writer.record(withoutId);
      await writer.close();

      const [record] = await capturedRecords();
      assert.deepEqual(record!.eventMetadata, { eventId: EVENT_ID, inferenceTime: '2025-06-01T12:29:02Z' });
    });

    it('when the time has milliseconds, then inferenceTime is cut to the second with Z', async () => {
      const writer = newWriter();

      writer.record(exchange({ time: new Date('2025-12-31T23:59:59.999Z') }));
      await writer.close();

      const [record] = await capturedRecords();
      assert.equal((record!.eventMetadata as { inferenceTime: string }).inferenceTime, '2025-12-31T23:59:59Z');
    });

    it('when JSON is exchanged, then data is the text as sent (a string, not nested) with encoding JSON', async () => {
      const writer = newWriter();
      const body = '{"instances": [{"features": [1.5, 16.0]}]}';

      writer.record(exchange({ request: { contentType: 'application/json; charset=utf-8', body: Buffer.from(body) }, response: { contentType: 'application/json', body: Buffer.from('{"predictions":[{"score":35.29}]}') } }));
      await writer.close();

      const [record] = await capturedRecords();
      assert.deepEqual(record!.captureData, {
        endpointInput: { observedContentType: 'application/json; charset=utf-8', mode: 'INPUT', data: body, encoding: 'JSON' },
        endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', data: '{"predictions":[{"score":35.29}]}', encoding: 'JSON' },
      });
    });

    it('when a content type is in neither list, then data is the base64 of the bytes', async () => {
      const writer = newWriter();
      const bytes = Buffer.from([0x0a, 0xff, 0x00, 0x42]);

      writer.record(exchange({ request: { contentType: 'application/x-recordio-protobuf', body: bytes }, response: { contentType: 'application/jsonlines', body: Buffer.from('{"score": 1}\n') } }));
      await writer.close();

      const [record] = await capturedRecords();
      const data = record!.captureData as Record<string, { data: string; encoding: string }>;
      assert.deepEqual([data.endpointInput!.encoding, data.endpointInput!.data], ['BASE64', bytes.toString('base64')]);
      assert.deepEqual([data.endpointOutput!.encoding, data.endpointOutput!.data], ['BASE64', Buffer.from('{"score": 1}\n').toString('base64')]);
    });

    it('when the content type differs in case from the list, then it still matches the list', async () => {
      const writer = newWriter();

      writer.record(exchange({ settings: settings({ csvContentTypes: ['Text/CSV'] }), request: { contentType: 'TEXT/csv; label_size=0', body: Buffer.from('1,2') } }));
      await writer.close();

      const [record] = await capturedRecords();
      assert.deepEqual((record!.captureData as Record<string, unknown>).endpointInput, { observedContentType: 'TEXT/csv; label_size=0', mode: 'INPUT', data: '1,2', encoding: 'CSV' });
    });

    it('when only Input is captured, then there is no endpointOutput; when only Output, no endpointInput', async () => {
      const writer = newWriter();

      writer.record(exchange({ endpointName: 'input-only', settings: settings({ captureModes: ['Input'] }) }));
      writer.record(exchange({ endpointName: 'output-only', settings: settings({ captureModes: ['Output'] }) }));
      await writer.close();

      const files = await captured();
      const byEndpoint = Object.fromEntries(files.map((f) => [f.key.split('/')[0], JSON.parse(f.lines[0]!) as { captureData: Record<string, unknown> }]));
      assert.deepEqual(Object.keys(byEndpoint['input-only']!.captureData), ['endpointInput']);
      assert.deepEqual(Object.keys(byEndpoint['output-only']!.captureData), ['endpointOutput']);
    });
  });

  describe('file layout', () => {
    it('when a record is captured, then it lands at <destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/<MM>-<SS>-<mmm>-<uuid>.jsonl', async () => {
      const writer = newWriter();

      writer.record(exchange({ time: new Date('2025-06-01T07:05:09.004Z') }));
      await writer.close();

      const [file] = await captured();
      const parts = file!.key.split('/');
      assert.deepEqual(parts.slice(0, 6), ['used-cars-xgb', 'AllTraffic', '2025', '06', '01', '07']);
      assert.equal(parts.length, 7);
      assert.match(parts[6]!, CAPTURE_FILE);
      assert.deepEqual(CAPTURE_FILE.exec(parts[6]!)!.slice(1, 4), ['05', '09', '004']);
    });

    it('when the destination URI ends with a slash, then no empty path segment appears', async () => {
      const writer = newWriter();

      writer.record(exchange({ settings: settings({ destinationS3Uri: `${DESTINATION}/` }) }));
      await writer.close();

      assert.equal((await captured()).length, 1);
    });

    it('when records of one endpoint and variant fall in one minute, then they share one file named by the first', async () => {
      const writer = newWriter();

      writer.record(exchange({ eventId: 'e1', time: new Date('2025-06-01T12:29:02.871Z') }));
      writer.record(exchange({ eventId: 'e2', time: new Date('2025-06-01T12:29:30.000Z') }));
      writer.record(exchange({ eventId: 'e3', time: new Date('2025-06-01T12:29:59.999Z') }));
      await writer.close();

      const files = await captured();
      assert.equal(files.length, 1);
      assert.match(files[0]!.key, /\/12\/29-02-871-/);
      assert.deepEqual(files[0]!.lines.map((l) => (JSON.parse(l) as { eventMetadata: { eventId: string } }).eventMetadata.eventId), ['e1', 'e2', 'e3']);
    });

    it('when the minute, the hour, the variant or the endpoint changes, then each gets its own file', async () => {
      const writer = newWriter();

      writer.record(exchange({ time: new Date('2025-06-01T12:29:02.871Z') }));
      writer.record(exchange({ time: new Date('2025-06-01T12:30:00.000Z') }));
      writer.record(exchange({ time: new Date('2025-06-01T13:00:01.500Z') }));
      writer.record(exchange({ variantName: 'Shadow', time: new Date('2025-06-01T13:00:02.000Z') }));
      writer.record(exchange({ endpointName: 'used-cars-ll', time: new Date('2025-06-01T13:00:03.000Z') }));
      await writer.close();

      const keys = (await captured()).map((f) => f.key.replace(/-[0-9a-f-]{36}\.jsonl$/, ''));
      assert.deepEqual(keys.sort(), [
        'used-cars-ll/AllTraffic/2025/06/01/13/00-03-000',
        'used-cars-xgb/AllTraffic/2025/06/01/12/29-02-871',
        'used-cars-xgb/AllTraffic/2025/06/01/12/30-00-000',
        'used-cars-xgb/AllTraffic/2025/06/01/13/00-01-500',
        'used-cars-xgb/Shadow/2025/06/01/13/00-02-000',
      ]);
    });

    it('when the same minute is flushed twice, then the second flush appends to the same file', async () => {
      const writer = newWriter();

      writer.record(exchange({ eventId: 'e1' }));
      writer.record(exchange({ eventId: 'e2' }));
      await writer.flush();
      writer.record(exchange({ eventId: 'e3', time: new Date('2025-06-01T12:29:45.000Z') }));
      await writer.flush();

      const files = await captured();
      assert.equal(files.length, 1);
      assert.equal(files[0]!.lines.length, 3);
      assert.deepEqual([writer.captured, writer.written], [3, 3]);
    });
  });

  describe('flushing', () => {
    it('when records are recorded, then nothing is on disk until a flush (a response never waits for the disk)', async () => {
      const writer = newWriter();

      writer.record(exchange());

      assert.deepEqual(await captured(), []);
      assert.deepEqual([writer.captured, writer.written], [1, 0]);
    });

    it('when many records are recorded and the writer closes, then every one is on disk and captured equals written', async () => {
      const writer = newWriter();
      const count = 250;

      for (let i = 0; i < count; i++) {
        writer.record(exchange({ eventId: `e${i}`, endpointName: i % 2 ? 'used-cars-ll' : 'used-cars-xgb', time: new Date(Date.UTC(2025, 5, 1, 12, 29 + Math.floor(i / 100), i % 60)) }));
      }
      await writer.close();

      const records = await capturedRecords();
      assert.equal(records.length, count);
      assert.deepEqual(new Set(records.map((r) => (r.eventMetadata as { eventId: string }).eventId)).size, count);
      assert.deepEqual([writer.captured, writer.written], [count, count]);
    });

    it('when the timer is short, then records reach the disk without an explicit flush', async () => {
      const writer = new CaptureWriter(store, { flushIntervalMs: 20 });
      writers.push(writer);

      writer.record(exchange());

      await pollUntil(() => Promise.resolve(writer.written), (written) => written === 1, { timeoutMs: 5000 });
      assert.equal((await capturedRecords()).length, 1);
    });

    it('when a flush fails because a file blocks the destination, then onError hears of it and the records wait for the next flush', async () => {
      const errors: unknown[] = [];
      const writer = newWriter((err) => errors.push(err));
      const blocker = store.resolve(`${DESTINATION}/used-cars-xgb`).file;
      await fs.mkdir(path.dirname(blocker), { recursive: true });
      await fs.writeFile(blocker, 'not a directory');

      writer.record(exchange({ eventId: 'e1' }));
      writer.record(exchange({ eventId: 'e2' }));
      await writer.flush();

      assert.equal(errors.length, 1);
      assert.match(String((errors[0] as NodeJS.ErrnoException).code), /^(ENOTDIR|EEXIST)$/);
      assert.deepEqual([writer.captured, writer.written], [2, 0]);

      await fs.rm(blocker);
      writer.record(exchange({ eventId: 'e3', time: new Date('2025-06-01T12:29:50.000Z') }));
      await writer.flush();

      const files = await captured();
      assert.equal(files.length, 1);
      assert.deepEqual(files[0]!.lines.map((l) => (JSON.parse(l) as { eventMetadata: { eventId: string } }).eventMetadata.eventId), ['e1', 'e2', 'e3']);
      assert.deepEqual([writer.captured, writer.written], [3, 3]);
      assert.equal(errors.length, 1);
    });

    it('when one destination fails, then the other endpoints’ records are still written', async () => {
      const errors: unknown[] = [];
      const writer = newWriter((err) => errors.push(err));
      const blocker = store.resolve(`${DESTINATION}/used-cars-xgb`).file;
      await fs.mkdir(path.dirname(blocker), { recursive: true });
      await fs.writeFile(blocker, 'not a directory');

      writer.record(exchange({ endpointName: 'used-cars-xgb' }));
      writer.record(exchange({ endpointName: 'used-cars-ll' }));
      await writer.flush();

      assert.equal(errors.length, 1);
      assert.deepEqual([writer.captured, writer.written], [2, 1]);
      const files = await store.list(`${DESTINATION}/used-cars-ll/`);
      assert.equal(files.length, 1);
    });
  });

  describe('sampling', () => {
    it('when capture is not configured or disabled, then nothing is sampled', () => {
      assert.equal(CaptureWriter.sampled(undefined), false);
      for (let i = 0; i < 200; i++) assert.equal(CaptureWriter.sampled(settings({ enableCapture: false, initialSamplingPercentage: 100 })), false);
    });

    it('when the sampling percentage is 0, then no invocation is sampled', () => {
      const draws = Array.from({ length: 2000 }, () => CaptureWriter.sampled(settings({ initialSamplingPercentage: 0 })));

      assert.equal(draws.filter(Boolean).length, 0);
    });

    it('when the sampling percentage is 100, then every invocation is sampled', () => {
      const draws = Array.from({ length: 2000 }, () => CaptureWriter.sampled(settings({ initialSamplingPercentage: 100 })));

      assert.equal(draws.filter(Boolean).length, 2000);
    });

    it('when the sampling percentage is 50, then about half of many invocations are sampled', () => {
      const draws = 20_000;

      const sampled = Array.from({ length: draws }, () => CaptureWriter.sampled(settings({ initialSamplingPercentage: 50 }))).filter(Boolean).length;

      // Binomial(20000, 0.5): the standard deviation is about 71, so ±1000 is over 14 of them.
      assert.ok(sampled > 9000 && sampled < 11_000, `${sampled} of ${draws} sampled`);
    });
  });
});
