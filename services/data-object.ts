import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Backend } from '../activities/backends/types';
import type { Config } from '../common/config/schema';
import { normalizeETag, objectKeyProblem } from '../common/object-keys';
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
  if (isS3Uri(source)) {
    let location;
    try {
      location = parseS3Uri(source);
    } catch (err) {
      throw new UsageError(`--data: ${(err as Error).message}`);
    }
    // The key becomes file paths and the workflow id: one that can never be processed is refused
    // here, before a run is started that could only fail.
    const problem = objectKeyProblem(location.key);
    if (problem) throw new UsageError(`--data: ${source}: ${problem}`);
    if (options.version) return { uri: source, ...location, version: options.version };
    // The ETag events name (S3's, not a content hash kept beside it), so `mlops train --data
    // s3://...` and the webhook's event for the same object version name the same run.
    const etag = await backend.objectStore.currentETag(source).catch((err: Error) => {
      throw new UsageError(`--data: ${err.message}`);
    });
    if (!etag) throw new UsageError(`--data: no object at ${source}`);
    return { uri: source, ...location, version: etag };
  }
  const file = path.resolve(source);
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) throw new UsageError(`--data: ${source} is not a file (give a local CSV path or an s3:// URI)`);
  const key = `${options.localPrefix}/${path.basename(file)}`;
  const problem = objectKeyProblem(key);
  if (problem) throw new UsageError(`--data: ${source}: the file name cannot be an object key: ${problem}`);
  const uri = s3Uri(config.bucket, key);
  const meta = await backend.objectStore.putFile(uri, file, { contentType: 'text/csv' });
  return { uri, bucket: config.bucket, key, version: (await backend.objectStore.currentETag(uri)) ?? normalizeETag(meta.etag) };
}
