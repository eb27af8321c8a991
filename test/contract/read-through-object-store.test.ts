import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createBackend } from '../../activities/backends';
import { ReadThroughObjectStore } from '../../activities/backends/local/read-through-object-store';
import type { ObjectStore } from '../../activities/backends/types';
import { parseConfig, REPO_ROOT } from '../../common/config/parse';
import { createMotoBackend, MOTO_CREDENTIALS, startMoto, type MotoServer } from '../helpers/moto';
import { createTempDir, removeTempDir } from '../helpers/temp-dir';

/** The local backend in front of an S3-compatible store (moto here, MinIO in docker compose). */
describe('local object store reading through an S3-compatible store (moto over HTTP)', function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let upstream: ObjectStore;
  let home: string;
  let store: ReadThroughObjectStore;

  before(async () => {
    moto = await startMoto();
    upstream = (await createMotoBackend(moto, { bucket: 'drops' })).backend.objectStore;
  });

  beforeEach(async () => {
    home = await createTempDir('mlops-read-through-');
    store = new ReadThroughObjectStore(path.join(home, 'objects'), upstream);
  });
  afterEach(() => removeTempDir(home));

  it('when a file was dropped upstream, then head, get and download import it once under the same URI and ETag', async () => {
    const dropped = await upstream.put('s3://drops/training/cars.csv', 'Price,Mileage\n1,2\n', { contentType: 'text/csv' });
    const head = await store.head('s3://drops/training/cars.csv');
    assert.equal(head?.etag, dropped.etag);
    assert.equal(head?.contentType, 'text/csv');
    assert.equal((await store.get('s3://drops/training/cars.csv')).toString(), 'Price,Mileage\n1,2\n');
    assert.equal(await fs.readFile(path.join(home, 'objects', 'drops', 'training', 'cars.csv'), 'utf8'), 'Price,Mileage\n1,2\n', 'now a local file');
    await store.download('s3://drops/training/cars.csv', path.join(home, 'copy.csv'));
    assert.equal(await fs.readFile(path.join(home, 'copy.csv'), 'utf8'), 'Price,Mileage\n1,2\n');
  });

  it('when a dropped file is replaced upstream, then the next read imports the new content', async () => {
    await upstream.put('s3://drops/replaced/batch.csv', 'first');
    assert.equal((await store.get('s3://drops/replaced/batch.csv')).toString(), 'first');
    const second = await upstream.put('s3://drops/replaced/batch.csv', 'second, corrected');
    assert.equal((await store.head('s3://drops/replaced/batch.csv'))?.etag, second.etag);
    assert.equal((await store.get('s3://drops/replaced/batch.csv')).toString(), 'second, corrected');
  });

  it('when listing, then upstream keys join the local ones without being copied', async () => {
    await upstream.put('s3://drops/listed/only-upstream.csv', 'u');
    await store.put('s3://drops/listed/only-local.csv', 'l');
    assert.deepEqual(await store.list('s3://drops/listed/'), ['s3://drops/listed/only-local.csv', 's3://drops/listed/only-upstream.csv']);
    await assert.rejects(fs.stat(path.join(home, 'objects', 'drops', 'listed', 'only-upstream.csv')), /ENOENT/, 'not copied by a listing');
  });

  it('when listing or downloading a prefix, then upstream objects join the local ones; writes stay local', async () => {
    await upstream.put('s3://drops/scoring/a.csv', 'a');
    await store.put('s3://drops/scoring/b.csv', 'b');
    assert.deepEqual(await store.list('s3://drops/scoring/'), ['s3://drops/scoring/a.csv', 's3://drops/scoring/b.csv']);
    assert.equal(await store.downloadPrefix('s3://drops/scoring/', path.join(home, 'dl')), 2);
    assert.equal(await upstream.head('s3://drops/scoring/b.csv'), undefined, 'nothing is written upstream');
    assert.equal(await store.head('s3://drops/scoring/none.csv'), undefined);
  });

  it('when MLOPS_S3_UPSTREAM_ENDPOINT is set, then the local backend reads through it', async () => {
    await upstream.put('s3://drops/training/env.csv', 'x');
    const backend = createBackend(parseConfig({ MLOPS_HOME: home, MLOPS_S3_UPSTREAM_ENDPOINT: moto.url, MLOPS_S3_UPSTREAM_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId, MLOPS_S3_UPSTREAM_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey }, REPO_ROOT));
    assert.equal(backend.name, 'local');
    assert.equal((await backend.objectStore.get('s3://drops/training/env.csv')).toString(), 'x');
  });
});
