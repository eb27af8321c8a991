import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createTempDir, removeTempDir } from '../helpers/temp-dir';
import { contractSuite } from './backends';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

contractSuite('contract: ObjectStore', (target) => {
  let tmp: string;
  before(async () => {
    tmp = await createTempDir('mlops-contract-os-');
  });
  after(() => removeTempDir(tmp));

  it('put returns size, ETag as hex MD5 without quotes, content type; head returns the same', async () => {
    const { backend } = target();
    const meta = await backend.objectStore.put('s3://mlops/os/a.csv', 'x,y\n1,2\n', { contentType: 'text/csv' });
    assert.equal(meta.size, 8);
    assert.equal(meta.etag, md5('x,y\n1,2\n'));
    assert.equal(meta.contentType, 'text/csv');
    assert.ok(!Number.isNaN(Date.parse(meta.lastModified)));
    const head = await backend.objectStore.head('s3://mlops/os/a.csv');
    assert.deepEqual({ size: head?.size, etag: head?.etag, contentType: head?.contentType }, { size: 8, etag: md5('x,y\n1,2\n'), contentType: 'text/csv' });
  });

  it('get returns the bytes; a missing object is undefined for head and an error naming the URI for get', async () => {
    const { backend } = target();
    await backend.objectStore.put('s3://mlops/os/bin', Buffer.from([0, 1, 2, 255]));
    assert.deepEqual([...(await backend.objectStore.get('s3://mlops/os/bin'))], [0, 1, 2, 255]);
    assert.equal(await backend.objectStore.head('s3://mlops/os/missing'), undefined);
    await assert.rejects(backend.objectStore.get('s3://mlops/os/missing'), /no object at s3:\/\/mlops\/os\/missing/);
    await assert.rejects(backend.objectStore.download('s3://mlops/os/missing', path.join(tmp, 'missing')), /no object at/);
  });

  it('overwriting changes the ETag', async () => {
    const { backend } = target();
    await backend.objectStore.put('s3://mlops/os/over.txt', 'one');
    const second = await backend.objectStore.put('s3://mlops/os/over.txt', 'two');
    assert.equal(second.etag, md5('two'));
    assert.equal((await backend.objectStore.get('s3://mlops/os/over.txt')).toString(), 'two');
  });

  it('list returns the URIs under a prefix, sorted, and a key prefix matches partial names', async () => {
    const { backend } = target();
    for (const key of ['list/b/2.csv', 'list/a.csv', 'list/b/1.csv', 'listing.txt', 'other/x.csv']) await backend.objectStore.put(`s3://mlops/${key}`, key);
    assert.deepEqual(await backend.objectStore.list('s3://mlops/list/'), ['s3://mlops/list/a.csv', 's3://mlops/list/b/1.csv', 's3://mlops/list/b/2.csv']);
    assert.deepEqual(await backend.objectStore.list('s3://mlops/list'), ['s3://mlops/list/a.csv', 's3://mlops/list/b/1.csv', 's3://mlops/list/b/2.csv', 's3://mlops/listing.txt']);
    assert.deepEqual(await backend.objectStore.list('s3://mlops/nothing-here/'), []);
  });

  it('list pages through more than one page of keys (aws: 7 keys per ListObjectsV2 page)', async () => {
    const { backend } = target();
    const keys = Array.from({ length: 30 }, (_, i) => `many/${String(i).padStart(4, '0')}.txt`);
    await Promise.all(keys.map((k) => backend.objectStore.put(`s3://mlops/${k}`, 'x')));
    const listed = await backend.objectStore.list('s3://mlops/many/');
    assert.deepEqual(listed, keys.map((k) => `s3://mlops/${k}`));
  });

  it('putFile, download, downloadPrefix (relative paths kept) and uploadDir round-trip', async () => {
    const { backend } = target();
    const src = path.join(tmp, 'src');
    await fs.mkdir(path.join(src, 'sub'), { recursive: true });
    await fs.writeFile(path.join(src, 'top.txt'), 'top');
    await fs.writeFile(path.join(src, 'sub', 'deep.txt'), 'deep');
    const fileMeta = await backend.objectStore.putFile('s3://mlops/files/single.txt', path.join(src, 'top.txt'), { contentType: 'text/plain' });
    assert.equal(fileMeta.etag, md5('top'));
    await backend.objectStore.download('s3://mlops/files/single.txt', path.join(tmp, 'out', 'single.txt'));
    assert.equal(await fs.readFile(path.join(tmp, 'out', 'single.txt'), 'utf8'), 'top');

    const written = await backend.objectStore.uploadDir(src, 's3://mlops/dir/');
    assert.deepEqual(written.sort(), ['s3://mlops/dir/sub/deep.txt', 's3://mlops/dir/top.txt']);
    const count = await backend.objectStore.downloadPrefix('s3://mlops/dir/', path.join(tmp, 'copy'));
    assert.equal(count, 2);
    assert.equal(await fs.readFile(path.join(tmp, 'copy', 'sub', 'deep.txt'), 'utf8'), 'deep');
    assert.equal(await fs.readFile(path.join(tmp, 'copy', 'top.txt'), 'utf8'), 'top');
  });

  it('rejects URIs that are not s3:// object URIs', async () => {
    const { backend } = target();
    await assert.rejects(backend.objectStore.put('file:///etc/passwd', 'x'), /not an s3:\/\/ URI/);
    await assert.rejects(backend.objectStore.put('s3://mlops/dir/', 'x'), /cannot end with \//);
  });

  it('conditional writes: putIfMatch creates only when absent, replaces only what getForUpdate read, and one of two racing writers wins', async () => {
    const { backend } = target();
    const uri = 's3://mlops/cas/bookmark.json';
    assert.equal(await backend.objectStore.getForUpdate(uri), undefined);
    assert.equal(await backend.objectStore.putIfMatch(uri, 'v1', undefined, { contentType: 'application/json' }), true);
    assert.equal(await backend.objectStore.putIfMatch(uri, 'v1-again', undefined), false, 'an object that exists is not created again');
    const read = await backend.objectStore.getForUpdate(uri);
    assert.equal(read?.body.toString(), 'v1');
    assert.equal(await backend.objectStore.putIfMatch(uri, 'v2', read!.token), true);
    assert.equal(await backend.objectStore.putIfMatch(uri, 'v2-stale', read!.token), false, 'a stale token loses');
    const now = await backend.objectStore.getForUpdate(uri);
    const results = await Promise.all(['a', 'b', 'c'].map((v) => backend.objectStore.putIfMatch(uri, v, now!.token)));
    assert.equal(results.filter(Boolean).length, 1, JSON.stringify(results));
    assert.ok(['a', 'b', 'c'].includes((await backend.objectStore.get(uri)).toString()));
  });
});
