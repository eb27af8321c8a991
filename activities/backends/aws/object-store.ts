import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { normalizeETag } from '../../../common/object-keys';
import { parseS3Uri, s3Uri } from '../../../common/uri';
import { InvalidObjectKeyError } from '../errors';
import type { ObjectMetadata, ObjectStore } from '../types';
import { md5OfFile, uploadDir } from '../files';
import { call, isErrorNamed, isS3Forbidden, toActivityError } from './aws-errors';

/** User metadata key holding the content's hex MD5 (the ETag is not an MD5 under SSE-KMS or multipart). */
const MD5_METADATA = 'mlops-md5';

const FORBIDDEN_NOTE = 'S3 answered 403: the key does not exist (without s3:ListBucket S3 says 403 for a missing key) or the worker may not read it';

export class AwsObjectNotFoundError extends Error {
  constructor(
    readonly uri: string,
    note?: string,
  ) {
    super(`no object at ${uri}${note ? ` (${note})` : ''}`);
    this.name = 'ObjectNotFoundError';
  }
}

export interface ListedObject {
  uri: string;
  key: string;
  size: number;
  lastModified: string;
}

/** The object store on S3 (PutObject / GetObject / HeadObject / ListObjectsV2). */
export class AwsObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    /** Keys per ListObjectsV2 page (S3's maximum and default is 1000; tests lower it to exercise paging). */
    private readonly listPageSize = 1000,
    /** Writes are SSE-KMS with this key when set (MLOPS_AWS_OUTPUT_KMS_KEY_ID); else the bucket's default encryption. */
    private readonly kmsKeyId?: string,
  ) {}

  private encryption(): Pick<PutObjectCommandInput, 'ServerSideEncryption' | 'SSEKMSKeyId'> {
    return this.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.kmsKeyId } : {};
  }

  async put(uri: string, body: Buffer | string, options: { contentType?: string } = {}): Promise<ObjectMetadata> {
    await call(`S3 PutObject ${uri}`, () => this.s3.send(new PutObjectCommand({ ...putRequest(uri, body, options), ...this.encryption() })));
    return this.headOrFail(uri);
  }

  async getForUpdate(uri: string): Promise<{ body: Buffer; token: string } | undefined> {
    const { bucket, key } = objectLocation(uri);
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
      return { body, token: out.ETag ?? '' };
    } catch (err) {
      if (isErrorNamed(err, 'NoSuchKey', 'NotFound') || isS3Forbidden(err)) return undefined;
      throw toActivityError(err, `S3 GetObject ${uri}`);
    }
  }

  /** PutObject with If-Match (the ETag read) or If-None-Match: * (S3 conditional writes); 412 or 409: another writer won. */
  async putIfMatch(uri: string, body: Buffer | string, token: string | undefined, options: { contentType?: string } = {}): Promise<boolean> {
    try {
      await this.s3.send(new PutObjectCommand({ ...putRequest(uri, body, options), ...this.encryption(), ...(token === undefined ? { IfNoneMatch: '*' } : { IfMatch: token }) }));
      return true;
    } catch (err) {
      if (isErrorNamed(err, 'PreconditionFailed', 'ConditionalRequestConflict')) return false;
      throw toActivityError(err, `S3 PutObject ${uri} (conditional)`);
    }
  }

  async putFile(uri: string, localPath: string, options: { contentType?: string } = {}): Promise<ObjectMetadata> {
    const { bucket, key } = objectLocation(uri);
    const stat = await fs.stat(localPath);
    const md5 = Buffer.from(await md5OfFile(localPath), 'hex');
    await call(`S3 PutObject ${uri}`, () =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: createReadStream(localPath),
          ContentLength: stat.size,
          ContentMD5: md5.toString('base64'),
          Metadata: { [MD5_METADATA]: md5.toString('hex') },
          ...(options.contentType ? { ContentType: options.contentType } : {}),
          ...this.encryption(),
        }),
      ),
    );
    return this.headOrFail(uri);
  }

  async get(uri: string): Promise<Buffer> {
    const { bucket, key } = objectLocation(uri);
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!out.Body) return Buffer.alloc(0);
      return Buffer.from(await out.Body.transformToByteArray());
    } catch (err) {
      if (isErrorNamed(err, 'NoSuchKey', 'NotFound')) throw new AwsObjectNotFoundError(uri);
      if (isS3Forbidden(err)) throw new AwsObjectNotFoundError(uri, FORBIDDEN_NOTE);
      throw toActivityError(err, `S3 GetObject ${uri}`);
    }
  }

  async head(uri: string): Promise<ObjectMetadata | undefined> {
    const { bucket, key } = objectLocation(uri);
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const etag = out.Metadata?.[MD5_METADATA] ?? (out.ETag ?? '').replace(/"/g, '');
      return {
        size: out.ContentLength ?? 0,
        etag,
        lastModified: (out.LastModified ?? new Date()).toISOString(),
        ...(out.ContentType && out.ContentType !== 'binary/octet-stream' ? { contentType: out.ContentType } : {}),
      };
    } catch (err) {
      if (isErrorNamed(err, 'NotFound', 'NoSuchKey')) return undefined;
      // Without s3:ListBucket a missing key is a 403: the object is not there for us either way
      // (`mlops aws preflight` checks that an object the worker wrote can be read back).
      if (isS3Forbidden(err)) return undefined;
      throw toActivityError(err, `S3 HeadObject ${uri}`);
    }
  }

  /** S3's own ETag (not the MD5 kept in the user metadata): under SSE-KMS or multipart the two differ, and events name this one. */
  async currentETag(uri: string): Promise<string | undefined> {
    const { bucket, key } = objectLocation(uri);
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return out.ETag ? normalizeETag(out.ETag) : undefined;
    } catch (err) {
      if (isErrorNamed(err, 'NotFound', 'NoSuchKey')) return undefined;
      throw toActivityError(err, `S3 HeadObject ${uri}`);
    }
  }

  async list(prefixUri: string): Promise<string[]> {
    return (await this.listDetailed(prefixUri)).map((o) => o.uri);
  }

  /** Whether at least one object lies under a prefix (one ListObjectsV2 call, whatever the count). */
  async hasObjectsUnder(prefixUri: string): Promise<boolean> {
    const { bucket, key: prefix } = parseS3Uri(prefixUri, { allowEmptyKey: true });
    const page = await call(`S3 ListObjectsV2 ${prefixUri}`, () => this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 50 })));
    return (page.Contents ?? []).some((o) => o.Key && !o.Key.endsWith('/'));
  }

  /** Every object under a prefix with its size and time (ListObjectsV2, all pages), sorted by key. */
  async listDetailed(prefixUri: string): Promise<ListedObject[]> {
    const { bucket, key: prefix } = parseS3Uri(prefixUri, { allowEmptyKey: true });
    const found: ListedObject[] = [];
    let token: string | undefined;
    do {
      const page = await call(`S3 ListObjectsV2 ${prefixUri}`, () =>
        this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: this.listPageSize, ...(token ? { ContinuationToken: token } : {}) })),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue; // "folder" placeholder objects are not files
        found.push({ uri: s3Uri(bucket, o.Key), key: o.Key, size: o.Size ?? 0, lastModified: (o.LastModified ?? new Date(0)).toISOString() });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async download(uri: string, localPath: string): Promise<void> {
    const { bucket, key } = objectLocation(uri);
    await fs.mkdir(path.dirname(localPath), { recursive: true });
    let body;
    try {
      body = (await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body;
    } catch (err) {
      if (isErrorNamed(err, 'NoSuchKey', 'NotFound')) throw new AwsObjectNotFoundError(uri);
      if (isS3Forbidden(err)) throw new AwsObjectNotFoundError(uri, FORBIDDEN_NOTE);
      throw toActivityError(err, `S3 GetObject ${uri}`);
    }
    const tmp = `${localPath}.tmp-${randomUUID()}`;
    try {
      if (body instanceof Readable) await pipeline(body, createWriteStream(tmp));
      else await fs.writeFile(tmp, body ? Buffer.from(await body.transformToByteArray()) : Buffer.alloc(0));
      await fs.rename(tmp, localPath);
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async downloadPrefix(prefixUri: string, localDir: string): Promise<number> {
    const { key: prefix } = parseS3Uri(prefixUri, { allowEmptyKey: true });
    const objects = await this.listDetailed(prefixUri);
    const base = prefix.endsWith('/') || prefix === '' ? prefix : prefix.slice(0, prefix.lastIndexOf('/') + 1);
    for (const o of objects) {
      const relative = o.key.slice(base.length);
      const target = path.resolve(localDir, relative);
      // A listed key is chosen by whoever writes to the bucket: 'p/../../x' must not climb out.
      if (!target.startsWith(path.resolve(localDir) + path.sep)) throw new InvalidObjectKeyError(o.uri, `the key would land outside ${localDir}`);
      await this.download(o.uri, target);
    }
    return objects.length;
  }

  uploadDir(localDir: string, prefixUri: string): Promise<string[]> {
    return uploadDir(this, localDir, prefixUri);
  }

  private async headOrFail(uri: string): Promise<ObjectMetadata> {
    const meta = await this.head(uri);
    if (!meta) throw new Error(`S3 PutObject ${uri} succeeded but the object is not there`);
    return meta;
  }
}

/** A PutObject of an in-memory body, with its MD5 checked by S3 and kept in the user metadata. */
function putRequest(uri: string, body: Buffer | string, options: { contentType?: string }): PutObjectCommandInput {
  const { bucket, key } = objectLocation(uri);
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  const md5 = createHash('md5').update(data).digest();
  return {
    Bucket: bucket,
    Key: key,
    Body: data,
    ContentLength: data.length,
    ContentMD5: md5.toString('base64'),
    Metadata: { [MD5_METADATA]: md5.toString('hex') },
    ...(options.contentType ? { ContentType: options.contentType } : {}),
  };
}

function objectLocation(uri: string): { bucket: string; key: string } {
  const location = parseS3Uri(uri);
  if (location.key.endsWith('/')) throw new Error(`invalid object URI '${uri}': an object key cannot end with /`);
  return location;
}
