import type { ObjectStore } from '../types';
import { LocalObjectStore } from './object-store';

/**
 * The local object store in front of an S3-compatible store (MinIO in docker compose): files users
 * drop into that bucket are imported on first read (under the same URI, so ETags and workflow ids
 * match the bucket events), everything the stack writes stays local. Jobs, endpoints and capture
 * keep working on local files.
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

  override async list(prefixUri: string): Promise<string[]> {
    await this.importPrefix(prefixUri);
    return super.list(prefixUri);
  }

  override async downloadPrefix(prefixUri: string, localDir: string): Promise<number> {
    await this.importPrefix(prefixUri);
    return super.downloadPrefix(prefixUri, localDir);
  }

  /** Copies the upstream object when the local store has none under that URI. */
  private async importObject(uri: string): Promise<void> {
    if (await super.head(uri)) return;
    const meta = await this.upstream.head(uri);
    if (!meta) return;
    await super.put(uri, await this.upstream.get(uri), meta.contentType ? { contentType: meta.contentType } : {});
  }

  private async importPrefix(prefixUri: string): Promise<void> {
    for (const uri of await this.upstream.list(prefixUri)) await this.importObject(uri);
  }
}
