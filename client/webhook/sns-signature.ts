import { verify as verifySignature, X509Certificate, type KeyObject } from 'node:crypto';
import type { SnsMessage } from './event-schemas';
import { EdgeError } from '../edge-errors';

/**
 * Verification of SNS HTTP(S) deliveries (all three message types), as AWS documents it:
 * SignatureVersion 1 is SHA1withRSA and 2 is SHA256withRSA over a fixed string to sign; the key
 * comes from the X.509 certificate at `SigningCertURL`, which must be https on an allowed host and
 * end in `.pem`, and is fetched before use (never taken from the message) and cached by URL.
 * Messages older than `maxAgeMs` are refused to stop replays; `topics` limits the topic ARNs.
 */
export interface SnsVerifierOptions {
  /** Hosts certificates (and SubscribeURLs) may come from; matched against the URL's host. */
  certHostPattern: RegExp;
  /** Accepted topic ARNs; empty: any. */
  topics: readonly string[];
  maxAgeMs: number;
  /** Returns the PEM text at an https URL that passed the checks. */
  fetchCertificate: (url: string) => Promise<string>;
  now?: () => number;
  /** How many certificates stay cached (SNS rotates them rarely). */
  maxCachedCertificates?: number;
}

/** The message is refused (403): not signed by SNS as required, expired, or from a topic not allowed. */
export class SnsRejectedError extends EdgeError {
  constructor(
    message: string,
    readonly expired = false,
  ) {
    super('forbidden', expired ? 'Expired' : 'Forbidden', message);
    this.name = 'SnsRejectedError';
  }
}

/** The signing certificate could not be fetched (502: SNS retries a 5xx later). */
export class SnsCertificateUnavailableError extends EdgeError {
  constructor(message: string) {
    super('bad-gateway', 'CertificateUnavailable', message);
    this.name = 'SnsCertificateUnavailableError';
  }
}

const ALGORITHMS: Record<string, string> = { '1': 'RSA-SHA1', '2': 'RSA-SHA256' };

/** Clocks differ a little; a Timestamp further ahead than this is refused too. */
const MAX_FUTURE_SKEW_MS = 15 * 60_000;

/** Field order of the string to sign, per message type (a field that is absent is skipped). */
const SIGNED_FIELDS: Record<SnsMessage['Type'], readonly string[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  // AWS's docs include Token for both confirmation types (sns-validator 0.3.5 only for one).
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/** `name\nvalue\n` for each signed field present, in order; values are the decoded JSON strings. */
export function stringToSign(message: SnsMessage): string {
  const fields = message as unknown as Record<string, unknown>;
  let out = '';
  for (const name of SIGNED_FIELDS[message.Type]) {
    const value = fields[name];
    if (typeof value === 'string') out += `${name}\n${value}\n`;
  }
  return out;
}

export class SnsVerifier {
  private readonly keys = new Map<string, Promise<KeyObject>>();
  private readonly now: () => number;

  constructor(private readonly options: SnsVerifierOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Resolves when the message is authentic, fresh and from an allowed topic; else throws SnsRejectedError. */
  async verify(message: SnsMessage): Promise<void> {
    const algorithm = ALGORITHMS[message.SignatureVersion];
    if (!algorithm) throw new SnsRejectedError(`unknown SignatureVersion '${message.SignatureVersion}' (expected 1 or 2)`);
    const problem = this.urlProblem(message.SigningCertURL, { pem: true });
    if (problem) throw new SnsRejectedError(`SigningCertURL refused: ${problem}`);
    this.checkTimestamp(message.Timestamp);
    if (this.options.topics.length > 0 && !this.options.topics.includes(message.TopicArn)) {
      throw new SnsRejectedError(`topic ${message.TopicArn} is not in MLOPS_WEBHOOK_SNS_TOPICS`);
    }
    const key = await this.publicKey(message.SigningCertURL);
    const signature = Buffer.from(message.Signature, 'base64');
    let valid = false;
    try {
      valid = verifySignature(algorithm, Buffer.from(stringToSign(message), 'utf8'), key, signature);
    } catch {
      valid = false;
    }
    if (!valid) throw new SnsRejectedError(`the signature does not verify (SignatureVersion ${message.SignatureVersion})`);
  }

  /** Whether an URL may be contacted: https, an allowed host, no credentials in it. */
  isAllowedUrl(text: string): boolean {
    return this.urlProblem(text, { pem: false }) === undefined;
  }

  private urlProblem(text: string, options: { pem: boolean }): string | undefined {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return `'${text}' is not a URL`;
    }
    if (url.protocol !== 'https:') return `'${text}' is not https`;
    if (url.username || url.password) return `'${text}' carries credentials`;
    // `host` includes a port when one is given, so an explicit port never matches the pattern.
    if (!this.options.certHostPattern.test(url.host)) return `host '${url.host}' is not allowed (MLOPS_WEBHOOK_SNS_CERT_HOSTS)`;
    if (options.pem && !url.pathname.endsWith('.pem')) return `'${url.pathname}' does not end in .pem`;
    return undefined;
  }

  private checkTimestamp(timestamp: string): void {
    const at = Date.parse(timestamp);
    if (Number.isNaN(at)) throw new SnsRejectedError(`Timestamp '${timestamp}' is not a date`);
    const age = this.now() - at;
    if (age > this.options.maxAgeMs) {
      throw new SnsRejectedError(`expired: Timestamp ${timestamp} is ${Math.round(age / 1000)} s old (more than ${Math.round(this.options.maxAgeMs / 1000)} s)`, true);
    }
    if (age < -MAX_FUTURE_SKEW_MS) throw new SnsRejectedError(`Timestamp ${timestamp} is in the future`);
  }

  /** The certificate's key, fetched once per URL (a failed fetch is not cached). */
  private publicKey(url: string): Promise<KeyObject> {
    let cached = this.keys.get(url);
    if (!cached) {
      cached = this.loadKey(url);
      this.keys.set(url, cached);
      cached.catch(() => this.keys.delete(url));
      const max = this.options.maxCachedCertificates ?? 64;
      if (this.keys.size > max) this.keys.delete(this.keys.keys().next().value!);
    }
    return cached;
  }

  private async loadKey(url: string): Promise<KeyObject> {
    let pem: string;
    try {
      pem = await this.options.fetchCertificate(url);
    } catch (err) {
      throw new SnsCertificateUnavailableError(`cannot fetch the signing certificate ${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(pem);
    } catch {
      throw new SnsRejectedError(`${url} is not an X.509 certificate`);
    }
    const now = this.now();
    if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo)) {
      throw new SnsRejectedError(`the signing certificate ${url} is not valid now (${certificate.validFrom} - ${certificate.validTo})`);
    }
    return certificate.publicKey;
  }
}

/** Fetches a PEM over https (a small, bounded body). */
export async function fetchCertificateOverHttps(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'error' });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > 64 * 1024) throw new Error('the certificate is larger than 64 KiB');
  return text;
}

/** Confirms a subscription: a GET of its SubscribeURL (the reply is XML we need not read). */
export async function getSubscribeUrl(url: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}
