import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidObjectKeyError } from '../../../../../activities/backends/errors';
import { ReadThroughObjectStore } from '../../../../../activities/backends/local/read-through-object-store';
import type { ObjectMetadata, ObjectStore } from '../../../../../activities/backends/types';
import { createTempDir, removeTempDir } from '../../../../helpers/temp-dir';

const md5 = (data: string) => createHash('md5').update(data).digest('hex');

/**
 * An upstream bucket (MinIO in the stack) as an S3 client sees it: keys are plain strings, so
 * anyone who can write to it can name an object `training/../registry/x.json`.
 */
class InMemoryUpstream {
  readonly objects = new Map<string, { body: string; etag: string }>();
  readonly reads: string[] = [];

  putRaw(uri: string, body: string, etag = md5(body)): void {
    this.objects.set(uri, { body, etag });
  }

  async head(uri: string): Promise<ObjectMetadata | undefined> {
    const o = this.objects.get(uri);
    return o ? { size: o.body.length, etag: o.etag, lastModified: new Date(0).toISOString() } : undefined;
  }

  async currentETag(uri: string): Promise<string | undefined> {
    return this.objects.get(uri)?.etag;
  }

  async get(uri: string): Promise<Buffer> {
    this.reads.push(uri);
    const o = this.objects.get(uri);
    if (!o) throw new Error(`no object at ${uri}`);
    return Buffer.from(o.body);
  }

  async list(prefixUri: string): Promise<string[]> {
    return [...this.objects.keys()].filter((u) => u.startsWith(prefixUri)).sort();
  }
}

describe('activities/backends/local/read-through-object-store', () => {
  let tmp: string;
  let root: string;
  let upstream: InMemoryUpstream;
  let store: ReadThroughObjectStore;

  beforeEach(async () => {
    tmp = await createTempDir('mlops-read-through-');
    root = path.join(tmp, 'objects');
    upstream = new InMemoryUpstream();
    store = new ReadThroughObjectStore(root, upstream as unknown as ObjectStore);
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  it('when an object is dropped upstream, then it is imported on first read under the same URI', async () => {
    upstream.putRaw('s3://mlops/training/cars.csv', 'a,b\n1,2\n');

    assert.equal((await store.get('s3://mlops/training/cars.csv')).toString(), 'a,b\n1,2\n');
    assert.equal(await fs.readFile(path.join(root, 'mlops', 'training', 'cars.csv'), 'utf8'), 'a,b\n1,2\n');
  });

  it("when an upstream key has a '..' segment, then importing its prefix is refused and the local object it points at is unchanged", async () => {
    await store.put('s3://mlops/registry/champion.json', '{"model":"good"}');
    upstream.putRaw('s3://mlops/training/ok.csv', 'fine');
    upstream.putRaw('s3://mlops/training/../registry/champion.json', '{"model":"attacker"}');

    await assert.rejects(store.downloadPrefix('s3://mlops/training/', path.join(tmp, 'job')), (err: unknown) => err instanceof InvalidObjectKeyError && /'\.\.' segment/.test(err.message));
    await assert.rejects(store.get('s3://mlops/training/../registry/champion.json'), InvalidObjectKeyError);

    assert.equal(await fs.readFile(path.join(root, 'mlops', 'registry', 'champion.json'), 'utf8'), '{"model":"good"}');
    assert.ok(!upstream.reads.includes('s3://mlops/training/../registry/champion.json'), 'the upstream object was never read');
  });

  it("when an upstream key climbs out of the bucket ('../../'), then nothing is written outside the store", async () => {
    upstream.putRaw('s3://mlops/training/../../../escaped.txt', 'x');

    await assert.rejects(store.downloadPrefix('s3://mlops/training/', path.join(tmp, 'job')), InvalidObjectKeyError);
    await assert.rejects(fs.stat(path.join(tmp, 'escaped.txt')), { code: 'ENOENT' });
    await assert.rejects(fs.stat(path.join(root, 'escaped.txt')), { code: 'ENOENT' });
  });

  it('when asked for the current ETag, then the upstream one (what its events name, multipart included) wins and nothing is copied', async () => {
    upstream.putRaw('s3://mlops/training/big.csv', 'big', '9b2cf535f27731c974343645a3985328-2');
    await store.put('s3://mlops/training/local.csv', 'local only');

    assert.equal(await store.currentETag('s3://mlops/training/big.csv'), '9b2cf535f27731c974343645a3985328-2');
    assert.equal(await store.currentETag('s3://mlops/training/local.csv'), md5('local only'));
    assert.deepEqual(upstream.reads, []);
    await assert.rejects(fs.stat(path.join(root, 'mlops', 'training', 'big.csv')), { code: 'ENOENT' });
  });
});
