import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/**
 * Signs SNS messages the way SNS does, with a key and a self-signed X.509 certificate made here:
 * Node 20 has no certificate builder, so the certificate is DER-encoded by hand (a minimal v3
 * certificate: serial, sha256WithRSAEncryption, CN, validity, the key's SubjectPublicKeyInfo).
 * The string to sign is built independently of the code under test, from AWS's description.
 */

export interface SigningIdentity {
  privateKey: KeyObject;
  /** PEM of the self-signed certificate, what a SigningCertURL serves. */
  certificatePem: string;
}

export function createSigningIdentity(options: { commonName?: string; notBefore?: Date; notAfter?: Date } = {}): SigningIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // Wide enough for tests on a fixed clock and on the real one (UTCTime ends in 2049).
  const notBefore = options.notBefore ?? new Date('2020-01-01T00:00:00Z');
  const notAfter = options.notAfter ?? new Date('2049-12-31T00:00:00Z');
  return { privateKey, certificatePem: selfSignedCertificate(privateKey, publicKey, options.commonName ?? 'sns.amazonaws.com', notBefore, notAfter) };
}

const SIGNED_FIELDS: Record<string, string[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/** Adds SignatureVersion, SigningCertURL and Signature to an SNS message (fields as SNS sends them). */
export function signSnsMessage(message: Record<string, string>, identity: SigningIdentity, options: { certUrl: string; version: '1' | '2' }): Record<string, string> {
  const fields = SIGNED_FIELDS[message.Type!];
  if (!fields) throw new Error(`no signing rule for Type ${message.Type}`);
  const text = fields.filter((f) => message[f] !== undefined).map((f) => `${f}\n${message[f]}\n`).join('');
  const signature = sign(options.version === '1' ? 'sha1' : 'sha256', Buffer.from(text, 'utf8'), identity.privateKey).toString('base64');
  return { ...message, SignatureVersion: options.version, SigningCertURL: options.certUrl, Signature: signature };
}

// --- minimal DER ---

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);

function integer(value: Buffer): Buffer {
  return tlv(0x02, value[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

function selfSignedCertificate(privateKey: KeyObject, publicKey: KeyObject, commonName: string, notBefore: Date, notAfter: Date): string {
  const algorithm = sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
  const name = sequence(set(sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(Buffer.from([0x01, 0x23, 0x45, 0x67])),
    algorithm,
    name,
    sequence(utcTime(notBefore), utcTime(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.from([0]), signature));
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').trimEnd();
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`;
}
