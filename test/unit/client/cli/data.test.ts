import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { minioEvent } from '../../../../client/cli/commands/data';
import { parseMinioNotification } from '../../../../client/webhook/event-schemas';
import { mlops } from '../../../helpers/cli';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

describe('client/cli/commands/data', () => {
  describe('minioEvent', () => {
    it('when a key has slashes, spaces and a plus, then the event escapes it as MinIO does and the webhook parser decodes it back', () => {
      const body = minioEvent('mlops', 'training/cars 2005+v2.csv', { size: 10, etag: 'abc' });

      assert.equal(body.Key, 'mlops/training/cars 2005+v2.csv');
      assert.equal(body.Records[0]!.s3.object.key, 'training%2Fcars+2005%2Bv2.csv');
      assert.equal(body.Records[0]!.eventName, 's3:ObjectCreated:Put');
      const parsed = parseMinioNotification(JSON.parse(JSON.stringify(body)));
      assert.equal(parsed.kind, 'records');
      assert.deepEqual(parsed.kind === 'records' && parsed.events[0], {
        source: 'minio',
        bucket: 'mlops',
        key: 'training/cars 2005+v2.csv',
        size: 10,
        etag: 'abc',
        sequencer: body.Records[0]!.s3.object.sequencer,
        eventName: 'ObjectCreated:Put',
        eventTime: body.Records[0]!.eventTime,
      });
    });

    it('when two events are made one after the other, then the later sequencer is greater (same length, hex)', () => {
      const first = minioEvent('mlops', 'k.csv', { size: 1, etag: 'a' }, new Date('2026-03-02T10:00:00.000Z')).Records[0]!.s3.object.sequencer;
      const second = minioEvent('mlops', 'k.csv', { size: 1, etag: 'a' }, new Date('2026-03-02T10:00:00.001Z')).Records[0]!.s3.object.sequencer;

      assert.match(first, /^[0-9A-F]+$/);
      assert.equal(first.length, second.length);
      assert.ok(second > first, `${second} > ${first}`);
    });
  });

  describe('mlops data put', () => {
    it("when the key has a '..' segment or a name over 200 bytes, then it exits 2 naming the rule and writes nothing", async function () {
      this.timeout(60_000);
      const home = await createTempDir('mlops-data-put-');
      try {
        const file = path.join(home, 'cars.csv');
        await fs.writeFile(file, 'Price\n1\n');
        for (const [uri, rule] of [
          ['s3://mlops/training/../registry/x.csv', /'\.' or '\.\.' segment/],
          [`s3://mlops/training/${'n'.repeat(201)}.csv`, /longer than 200 bytes/],
        ] as const) {
          const result = await mlops({ MLOPS_HOME: path.join(home, 'mlops') }, 'data', 'put', file, uri);
          assert.equal(result.code, 2, result.stderr);
          assert.match(result.stderr, rule);
          assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
        }
        await assert.rejects(fs.stat(path.join(home, 'mlops', 'objects')), { code: 'ENOENT' });
      } finally {
        await removeTempDir(home);
      }
    });
  });
});
