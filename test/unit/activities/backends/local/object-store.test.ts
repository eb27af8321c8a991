import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidObjectKeyError, LocalObjectStore, ObjectNotFoundError } from '../../../../../activities/backends/local/object-store';
import { createTempDir, removeTempDir } from '../../../../helpers/temp-dir';

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

/** Every path under a dir (files with their size), to prove that nothing appeared or changed. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(current: string): Promise<void> {
    for (const entry of await fs.readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        out.push(`${path.relative(dir, full)}/`);
        await walk(full);
      } else {
        out.push(`${path.relative(dir, full)} ${(await fs.stat(full)).size}`);
      }
    }
  }
  await walk(dir);
  return out.sort();
}

describe('activities/backends/local/object-store', () => {
  let tmp: string;
  let root: string;
  let store: LocalObjectStore;

  beforeEach(async () => {
    tmp = await createTempDir();
    root = path.join(tmp, 'home', 'objects');
    store = new LocalObjectStore(root);
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  describe('put, get and head', () => {
    it('when an object is put, then get returns its bytes and head its size and MD5 ETag', async () => {
      const body = 'price,year\n1000,2010\n';

      const written = await store.put('s3://mlops/data/cars.csv', body, { contentType: 'text/csv' });
      const read = await store.get('s3://mlops/data/cars.csv');
      const head = await store.head('s3://mlops/data/cars.csv');

      assert.equal(read.toString(), body);
      assert.equal(written.etag, md5(body));
      assert.match(written.etag, /^[0-9a-f]{32}$/);
      assert.deepEqual(head, written);
      assert.equal(head?.size, Buffer.byteLength(body));
      assert.equal(head?.contentType, 'text/csv');
    });

    it('when the object lives at s3://bucket/key, then its file is <root>/<bucket>/<key>', async () => {
      await store.put('s3://mlops/a/b.txt', Buffer.from([1, 2, 3]));

      assert.deepEqual([...(await fs.readFile(path.join(root, 'mlops', 'a', 'b.txt')))], [1, 2, 3]);
    });

    it('when an object is overwritten, then head reports the new ETag and size', async () => {
      await store.put('s3://mlops/k', 'first');

      await store.put('s3://mlops/k', 'second version');

      const head = await store.head('s3://mlops/k');
      assert.equal(head?.etag, md5('second version'));
      assert.equal(head?.size, 'second version'.length);
    });

    it('when asked for the current ETag, then it is the MD5 (what `mlops data put` announces), and undefined for no object', async () => {
      await store.put('s3://mlops/data/e.csv', 'etag me');

      assert.equal(await store.currentETag('s3://mlops/data/e.csv'), md5('etag me'));
      assert.equal(await store.currentETag('s3://mlops/data/none.csv'), undefined);
    });

    it('when the object does not exist, then get throws ObjectNotFoundError and head returns undefined', async () => {
      await assert.rejects(store.get('s3://mlops/missing'), (err: unknown) => err instanceof ObjectNotFoundError && err.uri === 's3://mlops/missing');
      assert.equal(await store.head('s3://mlops/missing'), undefined);
    });

    it('when head is asked for a prefix that is a directory, then it returns undefined', async () => {
      await store.put('s3://mlops/dir/file', 'x');

      assert.equal(await store.head('s3://mlops/dir'), undefined);
    });

    it('when the key ends with a slash, then put refuses it', async () => {
      await assert.rejects(store.put('s3://mlops/dir/', 'x'), InvalidObjectKeyError);
    });

    it('when a file is copied in behind the store, then head computes its size and MD5 and remembers them', async () => {
      const file = path.join(root, 'mlops', 'manual', 'data.csv');
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, 'copied by hand\n');

      const head = await store.head('s3://mlops/manual/data.csv');

      assert.equal(head?.size, 'copied by hand\n'.length);
      assert.equal(head?.etag, md5('copied by hand\n'));
      const remembered = JSON.parse(await fs.readFile(path.join(root, '.meta', 'mlops', 'manual', 'data.csv.json'), 'utf8')) as { etag: string };
      assert.equal(remembered.etag, head?.etag);
    });

    it('when a stored file is replaced behind the store by one of another size, then head reports the new ETag', async () => {
      await store.put('s3://mlops/k.csv', 'a,b\n1,2\n');
      await fs.writeFile(path.join(root, 'mlops', 'k.csv'), 'a,b\n1,2\n3,4\n');

      const head = await store.head('s3://mlops/k.csv');

      assert.equal(head?.etag, md5('a,b\n1,2\n3,4\n'));
    });

    it('when a stored file is edited behind the store keeping its size, then head reports the new ETag', async () => {
      const put = await store.put('s3://mlops/k.csv', 'a,b\n1,2\n');
      const file = path.join(root, 'mlops', 'k.csv');
      await fs.writeFile(file, 'a,b\n1,3\n');
      const later = new Date(Date.parse(put.lastModified) + 2000);
      await fs.utimes(file, later, later);

      const head = await store.head('s3://mlops/k.csv');

      assert.equal(head?.etag, md5('a,b\n1,3\n'));
    });

    it('when head is called twice on an unchanged object, then the metadata is the same', async () => {
      const put = await store.put('s3://mlops/k.csv', 'x');

      assert.deepEqual(await store.head('s3://mlops/k.csv'), put);
      assert.deepEqual(await store.head('s3://mlops/k.csv'), put);
    });
  });

  describe('putFile', () => {
    it('when a local file is put, then the object has its bytes and MD5 ETag', async () => {
      const local = path.join(tmp, 'local.bin');
      const content = Buffer.from('binary\u0000content');
      await fs.writeFile(local, content);

      const meta = await store.putFile('s3://mlops/files/local.bin', local, { contentType: 'application/octet-stream' });

      assert.deepEqual(await store.get('s3://mlops/files/local.bin'), content);
      assert.equal(meta.etag, md5(content));
      assert.equal(meta.size, content.length);
      assert.deepEqual(await store.head('s3://mlops/files/local.bin'), meta);
    });

    it('when two files are put under one key at once, then both calls succeed and the object is one of them, whole', async () => {
      const first = path.join(tmp, 'first.csv');
      const second = path.join(tmp, 'second.csv');
      await fs.writeFile(first, 'one,'.repeat(50_000));
      await fs.writeFile(second, 'two,'.repeat(50_000));

      const results = await Promise.all([store.putFile('s3://mlops/k.csv', first), store.putFile('s3://mlops/k.csv', second)]);

      const stored = (await store.get('s3://mlops/k.csv')).toString();
      assert.ok(stored === 'one,'.repeat(50_000) || stored === 'two,'.repeat(50_000), 'the object mixes both files');
      assert.ok(results.some((meta) => meta.etag === md5(stored)));
      assert.deepEqual(await store.list('s3://mlops/'), ['s3://mlops/k.csv']);
    });

    it('when the local file does not exist, then putFile rejects and no object appears', async () => {
      await assert.rejects(store.putFile('s3://mlops/x', path.join(tmp, 'nope')));

      assert.equal(await store.head('s3://mlops/x'), undefined);
      assert.deepEqual(await store.list('s3://mlops/'), []);
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      for (const key of ['data/validation.csv', 'data/train/b.csv', 'data/train/a.csv', 'data/train.csv', 'other/x.csv']) {
        await store.put(`s3://mlops/${key}`, key);
      }
      await store.put('s3://another/data/train/a.csv', 'x');
    });

    it('when listing a folder prefix, then it returns the URIs under it, sorted', async () => {
      assert.deepEqual(await store.list('s3://mlops/data/train/'), ['s3://mlops/data/train/a.csv', 's3://mlops/data/train/b.csv']);
    });

    it('when the prefix ends inside a name, then it matches keys starting with it, like S3', async () => {
      assert.deepEqual(await store.list('s3://mlops/data/tr'), ['s3://mlops/data/train.csv', 's3://mlops/data/train/a.csv', 's3://mlops/data/train/b.csv']);
    });

    it('when listing a bucket root, then it returns every key of that bucket only', async () => {
      const expected = ['data/train.csv', 'data/train/a.csv', 'data/train/b.csv', 'data/validation.csv', 'other/x.csv'].map((k) => `s3://mlops/${k}`);

      assert.deepEqual(await store.list('s3://mlops/'), expected);
      assert.deepEqual(await store.list('s3://mlops'), expected);
    });

    it('when a half-written temp file lies beside the objects, then list leaves it out', async () => {
      await fs.writeFile(path.join(root, 'mlops', 'data', 'train', 'c.csv.tmp-1234-5678'), 'partial');

      assert.deepEqual(await store.list('s3://mlops/data/train/'), ['s3://mlops/data/train/a.csv', 's3://mlops/data/train/b.csv']);
    });

    it('when nothing matches or the bucket does not exist, then list returns an empty array', async () => {
      assert.deepEqual(await store.list('s3://mlops/nothing/'), []);
      assert.deepEqual(await store.list('s3://no-such-bucket/'), []);
    });
  });

  describe('download, downloadPrefix and uploadDir', () => {
    it('when one object is downloaded, then the local file has its bytes (parent dirs created)', async () => {
      await store.put('s3://mlops/m/model.json', '{"a":1}');
      const target = path.join(tmp, 'deep', 'dir', 'model.json');

      await store.download('s3://mlops/m/model.json', target);

      assert.equal(await fs.readFile(target, 'utf8'), '{"a":1}');
    });

    it('when the object to download is missing, then download throws ObjectNotFoundError', async () => {
      await assert.rejects(store.download('s3://mlops/missing', path.join(tmp, 'x')), ObjectNotFoundError);
    });

    it('when a dir is uploaded and its prefix downloaded, then the files come back with their relative paths and bytes', async () => {
      const source = path.join(tmp, 'source');
      const files: Record<string, string> = { 'a.csv': '1,2\n', 'nested/b.csv': '3,4\n', 'nested/deeper/c.txt': 'c' };
      for (const [rel, content] of Object.entries(files)) {
        await fs.mkdir(path.dirname(path.join(source, rel)), { recursive: true });
        await fs.writeFile(path.join(source, rel), content);
      }
      const target = path.join(tmp, 'target');

      const uploaded = await store.uploadDir(source, 's3://mlops/up');
      const count = await store.downloadPrefix('s3://mlops/up/', target);

      assert.deepEqual(uploaded, ['s3://mlops/up/a.csv', 's3://mlops/up/nested/b.csv', 's3://mlops/up/nested/deeper/c.txt']);
      assert.equal(count, 3);
      for (const [rel, content] of Object.entries(files)) assert.equal(await fs.readFile(path.join(target, rel), 'utf8'), content);
      for (const uri of uploaded) assert.equal((await store.head(uri))?.etag, md5(files[uri.slice('s3://mlops/up/'.length)]!));
    });

    it('when downloading a prefix that ends inside a name, then paths stay relative to its last folder', async () => {
      await store.put('s3://mlops/p/train.csv', 't');
      await store.put('s3://mlops/p/train/part.csv', 'p');
      const target = path.join(tmp, 'target');

      const count = await store.downloadPrefix('s3://mlops/p/tr', target);

      assert.equal(count, 2);
      assert.equal(await fs.readFile(path.join(target, 'train.csv'), 'utf8'), 't');
      assert.equal(await fs.readFile(path.join(target, 'train', 'part.csv'), 'utf8'), 'p');
    });

    it('when the prefix has no objects, then downloadPrefix returns 0', async () => {
      assert.equal(await store.downloadPrefix('s3://mlops/none/', path.join(tmp, 't')), 0);
    });
  });

  describe('keys that could escape the store', () => {
    const bad: [string, string][] = [
      ['a .. segment', 's3://mlops/../outside.txt'],
      ['a nested .. segment', 's3://mlops/a/../../../outside.txt'],
      ['a trailing .. segment', 's3://mlops/a/..'],
      ['a . segment', 's3://mlops/./x.txt'],
      ['a nested . segment', 's3://mlops/a/./b'],
      ['an absolute path', 's3://mlops/' + '/etc/passwd'],
      ['a NUL character', 's3://mlops/a\u0000b'],
      ['a backslash', 's3://mlops/a\\..\\..\\x'],
      ['an empty segment', 's3://mlops/a//b'],
      ['the reserved temp marker', 's3://mlops/a.tmp-123'],
      ['a key over 1024 characters', `s3://mlops/${'k'.repeat(1025)}`],
      ['a bucket of dots', 's3://../x'],
      ['a bad bucket name', 's3://Bad_Bucket/x'],
      ['a bucket with a slash trick', 's3:///etc/passwd'],
    ];

    for (const [what, uri] of bad) {
      it(`when the URI has ${what}, then every operation throws InvalidObjectKeyError and nothing is written`, async () => {
        const local = path.join(tmp, 'payload.txt');
        await fs.writeFile(local, 'payload');
        await store.put('s3://mlops/existing.txt', 'existing');
        const before = await snapshot(tmp);

        const operations: [string, () => Promise<unknown>][] = [
          ['put', () => store.put(uri, 'payload')],
          ['putFile', () => store.putFile(uri, local)],
          ['get', () => store.get(uri)],
          ['head', () => store.head(uri)],
          ['download', () => store.download(uri, path.join(tmp, 'out', 'x'))],
        ];
        for (const [name, operation] of operations) {
          await assert.rejects(operation(), InvalidObjectKeyError, `${name}(${JSON.stringify(uri)})`);
        }

        assert.deepEqual(await snapshot(tmp), before);
      });
    }

    it('when listing or downloading a prefix with a .. segment, then they throw InvalidObjectKeyError', async () => {
      await assert.rejects(store.list('s3://mlops/../'), InvalidObjectKeyError);
      await assert.rejects(store.downloadPrefix('s3://mlops/a/../../', path.join(tmp, 'x')), InvalidObjectKeyError);
    });

    it('when a local dir is uploaded under a prefix, then its files cannot climb out through the prefix', async () => {
      const source = path.join(tmp, 'source');
      await fs.mkdir(source);
      await fs.writeFile(path.join(source, 'f.txt'), 'x');
      const before = await snapshot(tmp);

      await assert.rejects(store.uploadDir(source, 's3://mlops/../../escaped'), InvalidObjectKeyError);

      assert.deepEqual(await snapshot(tmp), before);
    });

    it('when a name is 250 bytes (a file name with room for its .json sidecar), then put, putFile, head, get and list work', async () => {
      const uri = `s3://mlops/data/${'n'.repeat(250)}`;
      const local = path.join(tmp, 'payload.txt');
      await fs.writeFile(local, 'from a file');

      await store.put(uri, 'x');
      assert.equal((await store.get(uri)).toString(), 'x');
      await store.putFile(uri, local);
      assert.equal((await store.head(uri))?.etag, md5('from a file'));
      assert.deepEqual(await store.list('s3://mlops/data/'), [uri]);
    });

    it('when a name is longer than 250 bytes, then it is an InvalidObjectKeyError naming the rule, not a file system error', async () => {
      const uri = `s3://mlops/data/${'é'.repeat(126)}`;

      await assert.rejects(store.put(uri, 'x'), (err: unknown) => err instanceof InvalidObjectKeyError && /longer than 250 bytes/.test(err.message));
      await assert.rejects(store.head(uri), InvalidObjectKeyError);
    });

    it('when a key has a newline, then it is refused like every control character', async () => {
      await assert.rejects(store.put('s3://mlops/a\nb.csv', 'x'), InvalidObjectKeyError);
    });

    it('when a key is exactly 1024 characters, then it is accepted', async () => {
      const key = Array.from({ length: 8 }, () => 'k'.repeat(127)).join('/');
      assert.equal(key.length, 1023);

      await store.put(`s3://mlops/${key}k`, 'x');

      assert.equal((await store.get(`s3://mlops/${key}k`)).toString(), 'x');
    });
  });
});
