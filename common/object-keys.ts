/**
 * Object keys that come from outside (events, the CLI, an upstream bucket) become file paths and
 * workflow ids, so one rule says which keys this project can process. Pure code: no Node APIs, so
 * workflows, the webhook, the CLI and the local object store share it.
 */

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * A name (path segment) of a data object's key, in UTF-8 bytes: a file system's NAME_MAX (255)
 * less what the pipelines add to a data file's name (`.<name>.captured.csv.partial`, 22 bytes) and
 * the local store's `.json` metadata sidecar (5), rounded down.
 */
export const MAX_DATA_KEY_NAME_BYTES = 200;

/** A name the local object store keeps as a file: NAME_MAX less its `.json` metadata sidecar. */
export const MAX_STORED_KEY_NAME_BYTES = 250;

/** Keys may not use it: the local store's temporary files carry it. */
export const RESERVED_KEY_MARKER = '.tmp-';

export interface KeyRuleOptions {
  /** A prefix (for listing): may be empty and end with '/'. */
  prefix?: boolean;
  /** Longest name (path segment) in UTF-8 bytes; default MAX_DATA_KEY_NAME_BYTES. */
  maxNameBytes?: number;
}

/** UTF-8 length of a well-formed string (a lone surrogate counts as the 3 bytes of U+FFFD). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** Whether every surrogate is part of a pair (what UTF-8, Temporal ids and file names need). */
export function isWellFormedUnicode(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      if (i + 1 >= text.length || !isLowSurrogate(text.charCodeAt(i + 1))) return false;
      i += 1;
    } else if (isLowSurrogate(code)) return false;
  }
  return true;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** C0 controls (newline, tab, NUL...), DEL and C1 controls. */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Why a key cannot be processed, naming the rule, or undefined when it can. The rule: at most
 * 1024 UTF-8 bytes, well-formed Unicode, no control character, no backslash, not starting with
 * '/', no '.', '..' or empty segment, every name at most `maxNameBytes`, not the reserved '.tmp-'.
 */
export function objectKeyProblem(key: string, options: KeyRuleOptions = {}): string | undefined {
  if (key === '') return options.prefix ? undefined : 'the key is empty';
  if (!isWellFormedUnicode(key)) return 'the key is not valid Unicode (a lone surrogate)';
  if (utf8ByteLength(key) > MAX_KEY_BYTES) return `the key is longer than ${MAX_KEY_BYTES} bytes (S3's limit)`;
  if (CONTROL_CHARACTERS.test(key)) return 'the key contains a control character (newline, tab, NUL...)';
  if (key.startsWith('/')) return "the key starts with '/' (an absolute path)";
  if (key.includes('\\')) return 'the key contains a backslash';
  const body = options.prefix && key.endsWith('/') ? key.slice(0, -1) : key;
  const segments = body.split('/');
  if (segments.some((s) => s === '.' || s === '..')) return "the key has a '.' or '..' segment";
  if (segments.some((s) => s === '')) return options.prefix || !key.endsWith('/') ? "the key has an empty segment ('//')" : "the key ends with '/' (a folder, not an object)";
  const maxName = options.maxNameBytes ?? MAX_DATA_KEY_NAME_BYTES;
  const long = segments.find((s) => utf8ByteLength(s) > maxName);
  if (long !== undefined) return `a name in the key is longer than ${maxName} bytes (${utf8ByteLength(long)} bytes: '${long.slice(0, 24)}...')`;
  if (key.includes(RESERVED_KEY_MARKER)) return `the key uses the reserved marker '${RESERVED_KEY_MARKER}'`;
  return undefined;
}

/**
 * An ETag as one spelling: S3's HEAD quotes it, events do not; hex digits in either case; a weak
 * `W/` prefix (never S3's, but some proxies add it) dropped. Multipart ETags keep their `-<parts>`.
 */
export function normalizeETag(etag: string): string {
  let value = etag.trim();
  if (value.startsWith('W/')) value = value.slice(2);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  return value.toLowerCase();
}
