import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { InvalidObjectKeyError } from '../../../../../activities/backends/errors';
import { AwsObjectStore } from '../../../../../activities/backends/aws/object-store';
import { createTempDir, removeTempDir } from '../../../../helpers/temp-dir';

/** An S3 client answering ListObjectsV2, GetObject and HeadObject from a key -> body map, as S3 would (keys are any strings). */
function fakeS3(objects: Record<string, string>, etags: Record<string, string> = {}): S3Client {
  return {
    send: async (command: { constructor: { name: string }; input: { Key?: string; Prefix?: string } }) => {
      switch (command.constructor.name) {
        case 'ListObjectsV2Command':
          return { Contents: Object.keys(objects).filter((k) => k.startsWith(command.input.Prefix ?? '')).map((Key) => ({ Key, Size: objects[Key]!.length })), IsTruncated: false };
        case 'GetObjectCommand':
          return { Body: Readable.from([Buffer.from(objects[command.input.Key!] ?? '')]) };
        case 'HeadObjectCommand': {
          const key = command.input.Key!;
          if (!(key in objects)) throw Object.assign(new Error('not found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
          return { ContentLength: objects[key]!.length, ETag: etags[key] ?? '"d41d8cd98f00b204e9800998ecf8427e"', Metadata: { 'mlops-md5': 'ffffffffffffffffffffffffffffffff' } };
        }
        default:
          throw new Error(`fake S3: unexpected ${command.constructor.name}`);
      }
    },
  } as unknown as S3Client;
}

describe('activities/backends/aws/object-store', () => {
  let tmp: string;

  beforeEach(async () => {
    tmp = await createTempDir('mlops-aws-store-');
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  it('when a prefix is downloaded, then every object lands under the local dir with its relative path', async () => {
    const store = new AwsObjectStore(fakeS3({ 'p/a.csv': 'a', 'p/n/b.csv': 'b' }));
    const dir = path.join(tmp, 'job', 'input');

    assert.equal(await store.downloadPrefix('s3://bucket/p/', dir), 2);
    assert.equal(await fs.readFile(path.join(dir, 'n', 'b.csv'), 'utf8'), 'b');
  });

  it("when a listed key would climb out of the local dir ('p/../../escaped'), then downloadPrefix refuses it with an InvalidObjectKeyError and writes nothing outside", async () => {
    const store = new AwsObjectStore(fakeS3({ 'p/../../escaped.txt': 'attacker' }));
    const dir = path.join(tmp, 'job', 'input');

    await assert.rejects(store.downloadPrefix('s3://bucket/p/', dir), (err: unknown) => err instanceof InvalidObjectKeyError && /would land outside/.test(err.message));
    await assert.rejects(fs.stat(path.join(tmp, 'escaped.txt')), { code: 'ENOENT' });
  });

  it("when asked for the current ETag, then it is S3's own (unquoted, lower case), not the MD5 kept in the metadata, and undefined for no object", async () => {
    const store = new AwsObjectStore(fakeS3({ 'k.csv': 'x' }, { 'k.csv': '"9B2CF535F27731C974343645A3985328-2"' }));

    assert.equal(await store.currentETag('s3://bucket/k.csv'), '9b2cf535f27731c974343645a3985328-2');
    assert.equal(await store.currentETag('s3://bucket/none.csv'), undefined);
  });
});
