import type { ObjectStore } from '../../activities/backends/types';
import { parseS3Uri, type S3Location } from '../../common/uri';
import { EdgeError } from '../edge-errors';

const REFUSALS = { 400: ['bad-request', 'BadRequest'], 404: ['not-found', 'NotFound'], 413: ['too-large', 'TooLarge'], 415: ['unsupported-media', 'NotText'] } as const;

/** A refused `/data` request: the status and one short sentence. */
export class DataRequestError extends EdgeError {
  constructor(
    readonly statusCode: 400 | 404 | 413 | 415,
    message: string,
  ) {
    super(REFUSALS[statusCode][0], REFUSALS[statusCode][1], message);
    this.name = 'DataRequestError';
  }
}

export type DataAnswer =
  | { kind: 'object'; uri: string; size: number; contentType: string; text: string }
  | { kind: 'listing'; uri: string; objects: { uri: string; url: string }[]; truncated: boolean };

/** Where `/data` links point: only URIs inside the bucket are linked at all. */
export function dataLink(bucket: string, uri: string): string | null {
  if (!uri) return null;
  try {
    if (parseS3Uri(uri, { allowEmptyKey: true }).bucket !== bucket) return null;
  } catch {
    return null;
  }
  return `/data?uri=${encodeURIComponent(uri)}`;
}

/**
 * Read-only browsing of the run data the drift and scoring records point to: a prefix lists its
 * objects, a small text object is returned as it is. Nothing outside the configured bucket.
 */
export class DataBrowser {
  constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
    private readonly options: { maxBytes: number; maxListed: number },
  ) {}

  async browse(uri: string): Promise<DataAnswer> {
    const location = this.check(uri);
    if (location.key === '' || location.key.endsWith('/')) return this.listing(uri);
    const meta = await this.guard(() => this.store.head(uri));
    if (!meta) {
      const listing = await this.listing(`${uri}/`);
      if (listing.objects.length === 0) throw new DataRequestError(404, `nothing at ${uri}`);
      return listing;
    }
    if (meta.size > this.options.maxBytes) throw new DataRequestError(413, `${uri} is ${meta.size} bytes; the dashboard shows objects up to ${this.options.maxBytes} bytes`);
    const body = await this.guard(() => this.store.get(uri));
    if (body.subarray(0, 8192).includes(0)) throw new DataRequestError(415, `${uri} is binary (${meta.contentType ?? 'unknown type'}); read it with DuckDB or download it`);
    const json = /json/.test(meta.contentType ?? '') || uri.endsWith('.json');
    return { kind: 'object', uri, size: meta.size, contentType: json && !uri.endsWith('.jsonl') ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8', text: body.toString('utf8') };
  }

  private async listing(prefix: string): Promise<Extract<DataAnswer, { kind: 'listing' }>> {
    const all = await this.guard(() => this.store.list(prefix));
    const objects = all.slice(0, this.options.maxListed).map((u) => ({ uri: u, url: `/data?uri=${encodeURIComponent(u)}` }));
    return { kind: 'listing', uri: prefix, objects, truncated: all.length > objects.length };
  }

  private check(uri: string): S3Location {
    if (!uri.startsWith('s3://')) throw new DataRequestError(400, 'uri must be an s3:// URI');
    let location: S3Location;
    try {
      location = parseS3Uri(uri, { allowEmptyKey: true });
    } catch (err) {
      throw new DataRequestError(400, err instanceof Error ? err.message : String(err));
    }
    if (location.bucket !== this.bucket) throw new DataRequestError(400, `only objects in bucket '${this.bucket}' are served`);
    const segments = location.key.split('/');
    if (segments.some((s) => s === '..' || s === '.') || /[\0\\]/.test(location.key)) throw new DataRequestError(400, 'uri must not contain . or .. segments, backslashes or NUL');
    return location;
  }

  /** The store's own refusals of a key (e.g. the local store's InvalidObjectKeyError) are bad input. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof Error && err.name === 'InvalidObjectKeyError') throw new DataRequestError(400, err.message);
      if (err instanceof Error && err.name === 'ObjectNotFoundError') throw new DataRequestError(404, err.message);
      throw err;
    }
  }
}
