import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Backend } from '../activities/backends/types';
import type { Config } from '../common/config/schema';
import { isS3Uri, parseS3Uri, s3Uri } from '../common/uri';
import { UsageError } from './usage-error';

/**
 * Resolves the data location, puts a local file into the bucket, and returns the object version.
 * An S3 event names the version itself (versionId, ETag or sequencer): then the object is not read.
 */
export async function resolveDataObject(
  backend: Backend,
  config: Config,
  data: string | undefined,
  options: { localPrefix: string; version?: string; defaultFile: string },
): Promise<{ uri: string; bucket: string; key: string; version: string }> {
  const source = data ?? options.defaultFile;
  if (options.version && isS3Uri(source)) {
    try {
      return { uri: source, ...parseS3Uri(source), version: options.version };
    } catch (err) {
      throw new UsageError(`--data: ${(err as Error).message}`);
    }
  }
  if (isS3Uri(source)) {
    let location;
    try {
      location = parseS3Uri(source);
    } catch (err) {
      throw new UsageError(`--data: ${(err as Error).message}`);
    }
    const head = await backend.objectStore.head(source).catch((err: Error) => {
      throw new UsageError(`--data: ${err.message}`);
    });
    if (!head) throw new UsageError(`--data: no object at ${source}`);
    return { uri: source, ...location, version: head.etag };
  }
  const file = path.resolve(source);
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) throw new UsageError(`--data: ${source} is not a file (give a local CSV path or an s3:// URI)`);
  const key = `${options.localPrefix}/${path.basename(file)}`;
  const uri = s3Uri(config.bucket, key);
  const meta = await backend.objectStore.putFile(uri, file, { contentType: 'text/csv' });
  return { uri, bucket: config.bucket, key, version: meta.etag };
}
