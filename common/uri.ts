/** `s3://bucket/key` URIs, parsed without Node APIs so workflows can use them too. */
export interface S3Location {
  bucket: string;
  key: string;
}

const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isS3Uri(text: string): boolean {
  return text.startsWith('s3://');
}

/** Parses `s3://bucket/key`; the key may be empty (a bucket root) only when `allowEmptyKey`. */
export function parseS3Uri(uri: string, options: { allowEmptyKey?: boolean } = {}): S3Location {
  if (!uri.startsWith('s3://')) throw new Error(`'${uri}' is not an s3:// URI`);
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (!BUCKET_PATTERN.test(bucket)) {
    throw new Error(`'${uri}': bucket '${bucket}' is not a valid bucket name (3-63 lower-case letters, digits, dots, hyphens)`);
  }
  if (!key && !options.allowEmptyKey) throw new Error(`'${uri}' has no object key`);
  return { bucket, key };
}

export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** Joins a prefix URI and relative parts with single slashes. */
export function joinUri(prefix: string, ...parts: string[]): string {
  const trimmed = [prefix.replace(/\/+$/, ''), ...parts.map((p) => p.replace(/^\/+|\/+$/g, ''))];
  return trimmed.filter((p) => p.length > 0).join('/');
}
