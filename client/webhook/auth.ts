import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../common/config/schema';

/**
 * Credentials of the non-SNS formats: a shared token (`Authorization: Bearer <token>`, what MinIO
 * sends for its `auth_token`) or an HMAC of the raw body (`X-Mlops-Signature: sha256=<hex>`).
 * Either one configured is enough; the webhook refuses to run with neither.
 */
export interface WebhookCredentials {
  token?: string;
  hmacSecret?: string;
}

export const SIGNATURE_HEADER = 'x-mlops-signature';
export const TOKEN_FILE_NAME = 'webhook-token';

/** Why a request is not authenticated, or undefined when it is. */
export function checkCredentials(headers: Record<string, string | string[] | undefined>, rawBody: Buffer, credentials: WebhookCredentials): string | undefined {
  const authorization = first(headers.authorization);
  const signature = first(headers[SIGNATURE_HEADER]);
  if (credentials.token && authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match && sameSecret(match[1]!, credentials.token)) return undefined;
  }
  if (credentials.hmacSecret && signature !== undefined) {
    if (hmacMatches(signature, rawBody, credentials.hmacSecret)) return undefined;
  }
  if (authorization === undefined && signature === undefined) return 'no credentials (Authorization: Bearer <token> or X-Mlops-Signature)';
  if (signature !== undefined && credentials.hmacSecret) return 'wrong X-Mlops-Signature';
  if (authorization !== undefined && credentials.token) return 'wrong token';
  return signature !== undefined ? 'X-Mlops-Signature is not accepted here (no HMAC secret is configured)' : 'a token is not accepted here (no token is configured)';
}

/** `sha256=<hex>` of the body, as a sender computes it. */
export function signBody(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

function hmacMatches(header: string, rawBody: Buffer, secret: string): boolean {
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(match[1]!, 'hex'), expected);
}

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The credentials in effect: MLOPS_WEBHOOK_TOKEN / MLOPS_WEBHOOK_HMAC_SECRET when set; otherwise the
 * token in `<MLOPS_HOME>/webhook-token`, which `create` makes (0600) on the first start so the local
 * stack is never open. `tokenFile` says where a generated token is kept.
 */
export async function resolveWebhookCredentials(
  config: Pick<Config, 'home' | 'webhookToken' | 'webhookHmacSecret'>,
  options: { create: boolean },
): Promise<WebhookCredentials & { tokenFile?: string }> {
  if (config.webhookToken || config.webhookHmacSecret) {
    return { ...(config.webhookToken ? { token: config.webhookToken } : {}), ...(config.webhookHmacSecret ? { hmacSecret: config.webhookHmacSecret } : {}) };
  }
  const tokenFile = path.join(config.home, TOKEN_FILE_NAME);
  if (options.create) {
    await fs.mkdir(config.home, { recursive: true });
    const token = randomBytes(32).toString('base64url');
    // 'wx' never overwrites: a token written by an earlier start (or a concurrent one) is kept.
    await fs.writeFile(tokenFile, `${token}\n`, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    await fs.chmod(tokenFile, 0o600);
  }
  const text = await fs.readFile(tokenFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  const token = text?.trim();
  if (!token) return { tokenFile };
  const problem = tokenProblem(token);
  if (problem) throw new WebhookCredentialsError(`${tokenFile}: ${problem} (delete the file and the next 'mlops stack up' writes a new one)`);
  return { token, tokenFile };
}

/** The same minimum as MLOPS_WEBHOOK_TOKEN and MLOPS_WEBHOOK_HMAC_SECRET. */
export const MIN_SECRET_LENGTH = 16;
const MAX_TOKEN_LENGTH = 1024;

/**
 * Why a token from the file cannot be used: a short one is guessable, and one with a space or a
 * control character can never match `Authorization: Bearer <token>`.
 */
function tokenProblem(token: string): string | undefined {
  if (token.length < MIN_SECRET_LENGTH) return `the token must be at least ${MIN_SECRET_LENGTH} characters (it has ${token.length})`;
  if (token.length > MAX_TOKEN_LENGTH) return `the token must be at most ${MAX_TOKEN_LENGTH} characters (it has ${token.length})`;
  if (!/^[\x21-\x7e]+$/.test(token)) return 'the token must be printable ASCII without spaces (it is sent as `Authorization: Bearer <token>`)';
  return undefined;
}

/** The configured credentials cannot be used (names the file or variable and the rule). */
export class WebhookCredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookCredentialsError';
  }
}
