import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MAX_STORED_KEY_NAME_BYTES, normalizeETag, objectKeyProblem } from '../../../common/object-keys';
import { parseS3Uri, s3Uri } from '../../../common/uri';
import { InvalidObjectKeyError } from '../errors';
import type { ObjectMetadata, ObjectStore } from '../types';
import { mapWithLimit, uploadDir } from '../files';
import { isNotFound, listFilesRecursive, md5OfFile, readJsonFile, tempSibling, withFileLock, writeFileAtomic } from './fs-utils';

export { InvalidObjectKeyError };

/** Files copied at once by a prefix download or a dir upload: a few overlap their waits on the disk, many would only queue. */
export const LOCAL_COPY_CONCURRENCY = 8;

/**
 * An S3-like object store on the local file system: `s3://bucket/key` is the file
 * `<root>/<bucket>/<key>`, with its metadata (ETag, content type) beside it under `<root>/.meta/`.
 * Bucket names cannot start with a dot, so `.meta` never collides with a bucket.
 */
export class LocalObjectStore implements ObjectStore {
  constructor(private readonly root: string) {}

  /** Resolves a URI to its file, rejecting keys that could escape the store. */
  resolve(uri: string, options: { allowEmptyKey?: boolean } = {}): { bucket: string; key: string; file: string; metaFile: string } {
    let location;
    try {
      location = parseS3Uri(uri, options);
    } catch (err) {
      throw new InvalidObjectKeyError(uri, (err as Error).message);
    }
    const { bucket, key } = location;
    // The project's key rule (no '..', no absolute path, no control character...), with names as
    // long as a file name can be once the '.json' of the metadata sidecar is added.
    const problem = objectKeyProblem(key, { prefix: true, maxNameBytes: MAX_STORED_KEY_NAME_BYTES });
    if (problem) throw new InvalidObjectKeyError(uri, problem);
    const bucketDir = path.join(this.root, bucket);
    const file = path.join(bucketDir, key);
    if (file !== bucketDir && !file.startsWith(bucketDir + path.sep)) throw new InvalidObjectKeyError(uri, 'the key escapes its bucket');
    return { bucket, key, file, metaFile: path.join(this.root, '.meta', bucket, `${key}.json`) };
  }

  async put(uri: string, body: Buffer | string, options: { contentType?: string } = {}): Promise<ObjectMetadata> {
    const { file, metaFile, key } = this.resolve(uri);
    if (key.endsWith('/')) throw new InvalidObjectKeyError(uri, 'an object key cannot end with /');
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    await writeFileAtomic(file, data);
    const meta: ObjectMetadata = {
      size: data.length,
      etag: createHash('md5').update(data).digest('hex'),
      lastModified: new Date().toISOString(),
      ...(options.contentType ? { contentType: options.contentType } : {}),
    };
    await writeFileAtomic(metaFile, JSON.stringify(meta));
    return meta;
  }

  async getForUpdate(uri: string): Promise<{ body: Buffer; token: string } | undefined> {
    const meta = await this.head(uri);
    if (!meta) return undefined;
    const body = await this.get(uri);
    // The content's own MD5: a write between the head and the read shows up as a mismatch later.
    return { body, token: createHash('md5').update(body).digest('hex') };
  }

  /** Compare-and-swap under a lock every process of this machine shares (conditional writes go through here only). */
  async putIfMatch(uri: string, body: Buffer | string, token: string | undefined, options: { contentType?: string } = {}): Promise<boolean> {
    const { bucket, key } = this.resolve(uri);
    const lock = path.join(this.root, '.locks', bucket, `${key}.lock`);
    await fs.mkdir(path.dirname(lock), { recursive: true });
    return withFileLock(lock, async () => {
      const current = await this.head(uri);
      if (token === undefined ? current !== undefined : current?.etag !== token) return false;
      await this.put(uri, body, options);
      return true;
    });
  }

  async putFile(uri: string, localPath: string, options: { contentType?: string } = {}): Promise<ObjectMetadata> {
    const { file, metaFile, key } = this.resolve(uri);
    if (key.endsWith('/')) throw new InvalidObjectKeyError(uri, 'an object key cannot end with /');
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = tempSibling(file); // unique per call: two uploads of one key must not share it
    await fs.copyFile(localPath, tmp);
    await fs.rename(tmp, file);
    const stat = await fs.stat(file);
    const meta: ObjectMetadata = {
      size: stat.size,
      etag: await md5OfFile(file),
      lastModified: stat.mtime.toISOString(),
      ...(options.contentType ? { contentType: options.contentType } : {}),
    };
    await writeFileAtomic(metaFile, JSON.stringify(meta));
    return meta;
  }

  async get(uri: string): Promise<Buffer> {
    const { file } = this.resolve(uri);
    try {
      return await fs.readFile(file);
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(uri);
      throw err;
    }
  }

  head(uri: string): Promise<ObjectMetadata | undefined> {
    return this.headLocal(uri);
  }

  /** The MD5 is the ETag here, as for S3's single-part uploads and what `mlops data put` announces. */
  async currentETag(uri: string): Promise<string | undefined> {
    const meta = await this.headLocal(uri);
    return meta ? normalizeETag(meta.etag) : undefined;
  }

  /** Metadata of the file in this store only (subclasses that import from elsewhere never reach past it). */
  protected async headLocal(uri: string): Promise<ObjectMetadata | undefined> {
    const { file, metaFile } = this.resolve(uri);
    // Both at once: the webhook asks this for every event, so its latency counts.
    const [stat, meta] = await Promise.all([
      fs.stat(file).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      }),
      readJsonFile<ObjectMetadata>(metaFile).catch(() => undefined),
    ]);
    if (!stat?.isFile()) return undefined;
    // The size alone misses an edit that keeps it (one digit changed): a file modified after its
    // metadata was written counts as changed too.
    if (meta && meta.size === stat.size && Math.floor(stat.mtimeMs) <= Date.parse(meta.lastModified)) return meta;
    // Written behind the store's back (e.g. copied in by hand): compute and remember.
    const fresh: ObjectMetadata = { size: stat.size, etag: await md5OfFile(file), lastModified: stat.mtime.toISOString() };
    await writeFileAtomic(metaFile, JSON.stringify(fresh));
    return fresh;
  }

  async list(prefixUri: string): Promise<string[]> {
    const { bucket, key: prefix } = this.resolve(prefixUri, { allowEmptyKey: true });
    const bucketDir = path.join(this.root, bucket);
    const baseDir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const files = await listFilesRecursive(path.join(bucketDir, baseDir));
    return files
      .map((rel) => (baseDir ? `${baseDir}/${rel}` : rel))
      .filter((key) => key.startsWith(prefix) && !key.includes('.tmp-'))
      .map((key) => s3Uri(bucket, key));
  }

  async download(uri: string, localPath: string): Promise<void> {
    const { file } = this.resolve(uri);
    await fs.mkdir(path.dirname(localPath), { recursive: true });
    try {
      await fs.copyFile(file, localPath);
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(uri);
      throw err;
    }
  }

  async downloadPrefix(prefixUri: string, localDir: string): Promise<number> {
    const { key: prefix } = this.resolve(prefixUri, { allowEmptyKey: true });
    const uris = await this.list(prefixUri);
    const base = prefix.endsWith('/') || prefix === '' ? prefix : prefix.slice(0, prefix.lastIndexOf('/') + 1);
    await mapWithLimit(uris, LOCAL_COPY_CONCURRENCY, (uri) => this.download(uri, path.join(localDir, this.resolve(uri).key.slice(base.length))));
    return uris.length;
  }

  uploadDir(localDir: string, prefixUri: string): Promise<string[]> {
    return uploadDir(this, localDir, prefixUri, LOCAL_COPY_CONCURRENCY);
  }
}

export class ObjectNotFoundError extends Error {
  constructor(readonly uri: string) {
    super(`no object at ${uri}`);
    this.name = 'ObjectNotFoundError';
  }
}
