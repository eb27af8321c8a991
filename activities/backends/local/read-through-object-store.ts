import type { ObjectStore } from '../types';
import { LocalObjectStore } from './object-store';

/**
 * The local object store in front of an S3-compatible store (MinIO in docker compose): objects
 * users drop into that bucket are imported when they are read (under the same URI, so ETags and
 * workflow ids match the bucket events) and imported again when they change there; everything the
 * stack writes stays local. Jobs, endpoints and capture keep working on local files.
 */
export class ReadThroughObjectStore extends LocalObjectStore {
  constructor(
    root: string,
    private readonly upstream: ObjectStore,
  ) {
    super(root);
  }

  override async get(uri: string): Promise<Buffer> {
    await this.importObject(uri);
    return super.get(uri);
  }

  override async head(uri: string) {
    await this.importObject(uri);
    return super.head(uri);
  }

  override async download(uri: string, localPath: string): Promise<void> {
    await this.importObject(uri);
    return super.download(uri, localPath);
  }

  /** The upstream's ETag when it has the object (what its events name), else the local one; nothing is copied. */
  override async currentETag(uri: string): Promise<string | undefined> {
    this.resolve(uri);
    return (await this.upstream.currentETag(uri)) ?? (await super.currentETag(uri));
  }

  /** Both stores' keys; nothing is copied until it is read. */
  override async list(prefixUri: string): Promise<string[]> {
    const [local, upstream] = await Promise.all([super.list(prefixUri), this.upstream.list(prefixUri)]);
    return [...new Set([...local, ...upstream])].sort();
  }

  override async downloadPrefix(prefixUri: string, localDir: string): Promise<number> {
    for (const uri of await this.upstream.list(prefixUri)) await this.importObject(uri);
    return super.downloadPrefix(prefixUri, localDir);
  }

  /**
   * Copies the upstream object when the local store lacks it or holds other content under that
   * URI (a file replaced in MinIO); keys only the stack writes are never found upstream.
   */
  private async importObject(uri: string): Promise<void> {
    // An upstream key is chosen by whoever writes to that bucket: it must pass this store's key
    // rule before anything is read or written under it ('a/../champion.json' would overwrite
    // another object).
    this.resolve(uri);
    const upstream = await this.upstream.head(uri);
    if (!upstream) return;
    const local = await super.head(uri);
    if (local?.etag === upstream.etag) return;
    await super.put(uri, await this.upstream.get(uri), upstream.contentType ? { contentType: upstream.contentType } : {});
  }
}
