import { z } from 'zod';
import { normalizeETag } from '../../common/object-keys';
import { EdgeError } from '../edge-errors';

/**
 * The event formats the webhook accepts, parsed once at the edge into `ObjectCreatedEvent`s:
 * S3 event notifications, EventBridge "Object Created" events, SNS envelopes around S3
 * notifications, and MinIO bucket notifications.
 */

export type EventFormat = 's3' | 'eventbridge' | 'sns' | 'minio';

/** One new object version, whatever format announced it. */
export interface ObjectCreatedEvent {
  source: EventFormat;
  bucket: string;
  /** Decoded: the key to read the object with. */
  key: string;
  size?: number;
  /** Normalized (`normalizeETag`): no quotes, lower case, so every format names a version alike. */
  etag?: string;
  versionId?: string;
  sequencer?: string;
  /** Without the `s3:` prefix, e.g. `ObjectCreated:Put`. */
  eventName: string;
  eventTime?: string;
}

/** A record that is acknowledged but starts nothing (a deletion, a restore...). */
export interface IgnoredRecord {
  bucket?: string;
  key?: string;
  eventName: string;
  reason: string;
}

/** What one delivery holds: object-created events, and records that start nothing. */
export type ParsedDelivery = { kind: 'records'; events: ObjectCreatedEvent[]; ignored: IgnoredRecord[] } | { kind: 'test'; reason: string };

/** The body is not the format it claims (or no known format): answered 400. */
export class EventFormatError extends EdgeError {
  constructor(
    message: string,
    override readonly code: 'InvalidEvent' | 'UnknownEventFormat' = 'InvalidEvent',
  ) {
    super('bad-request', code, message);
    this.name = 'EventFormatError';
  }
}

// Unknown fields are allowed everywhere (zod strips them): S3 adds fields with new minor versions.
const s3ObjectSchema = z.object({
  key: z.string().min(1),
  size: z.number().int().nonnegative().optional(),
  eTag: z.string().optional(),
  versionId: z.string().optional(),
  sequencer: z.string().optional(),
});

const s3RecordSchema = z.object({
  eventVersion: z.string().regex(/^2(\.\d+)*$/, 'must be a 2.x event version'),
  eventSource: z.string(),
  eventTime: z.string().optional(),
  eventName: z.string().min(1),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: s3ObjectSchema,
  }),
});

export const s3NotificationSchema = z.object({ Records: z.array(s3RecordSchema).min(1) });

/** Sent by S3 when a notification configuration is saved: no Records. */
export const s3TestEventSchema = z.object({ Event: z.literal('s3:TestEvent'), Service: z.string().optional(), Bucket: z.string().optional() });

export const minioNotificationSchema = z.object({
  EventName: z.string().min(1),
  /** `<bucket>/<decoded key>`. */
  Key: z.string().min(1),
  Records: z.array(s3RecordSchema).min(1),
});

export const eventBridgeEventSchema = z.object({
  version: z.string(),
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.literal('aws.s3'),
  time: z.string().optional(),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      etag: z.string().optional(),
      'version-id': z.string().optional(),
      sequencer: z.string().optional(),
    }),
    reason: z.string().optional(),
  }),
});

const snsBase = {
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  Message: z.string(),
  Timestamp: z.string().min(1),
  SignatureVersion: z.string().min(1),
  Signature: z.string().min(1),
  SigningCertURL: z.string().min(1),
};

export const snsMessageSchema = z.discriminatedUnion('Type', [
  z.object({ Type: z.literal('Notification'), ...snsBase, Subject: z.string().optional(), UnsubscribeURL: z.string().optional() }),
  z.object({ Type: z.literal('SubscriptionConfirmation'), ...snsBase, SubscribeURL: z.string().min(1), Token: z.string().min(1) }),
  z.object({ Type: z.literal('UnsubscribeConfirmation'), ...snsBase, SubscribeURL: z.string().min(1), Token: z.string().min(1) }),
]);

export type SnsMessage = z.infer<typeof snsMessageSchema>;

/**
 * Decodes a key of the notification format: URL-encoded form style, a space is `+`. MinIO also
 * escapes `/` as `%2F`, which this turns back.
 */
export function decodeS3Key(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, '%20'));
  } catch {
    throw new EventFormatError(`object key '${key}' is not valid URL encoding`);
  }
}

/** Escapes a key the way MinIO does (Go's `url.QueryEscape`): space `+`, `/` `%2F`, only `A-Za-z0-9-_.~` kept. */
export function minioEscapeKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** `s3:ObjectCreated:Put` and `ObjectCreated:Put` are the same event. */
function withoutS3Prefix(eventName: string): string {
  return eventName.startsWith('s3:') ? eventName.slice(3) : eventName;
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new EventFormatError(`not a valid ${what}: ${issue.path.join('.') || 'body'}: ${issue.message}`);
}

function fromRecords(records: z.infer<typeof s3RecordSchema>[], source: EventFormat): ParsedDelivery {
  const events: ObjectCreatedEvent[] = [];
  const ignored: IgnoredRecord[] = [];
  for (const record of records) {
    const eventName = withoutS3Prefix(record.eventName);
    const object = record.s3.object;
    const bucket = record.s3.bucket.name;
    const key = decodeS3Key(object.key);
    if (!eventName.startsWith('ObjectCreated:')) {
      ignored.push({ bucket, key, eventName, reason: `${eventName} is not an object-created event` });
      continue;
    }
    events.push({
      source,
      bucket,
      key,
      eventName,
      ...(object.size !== undefined ? { size: object.size } : {}),
      ...(object.eTag ? { etag: normalizeETag(object.eTag) } : {}),
      ...(object.versionId ? { versionId: object.versionId } : {}),
      ...(object.sequencer ? { sequencer: object.sequencer } : {}),
      ...(record.eventTime ? { eventTime: record.eventTime } : {}),
    });
  }
  return { kind: 'records', events, ignored };
}

/** An S3 event notification (`{"Records": [...]}`, several records per message) or the `s3:TestEvent`. */
export function parseS3Notification(body: unknown, source: 's3' | 'sns' = 's3'): ParsedDelivery {
  if (isObject(body) && body.Event === 's3:TestEvent') {
    parseWith(s3TestEventSchema, body, 'S3 test event');
    return { kind: 'test', reason: 's3:TestEvent (sent when a notification configuration is saved)' };
  }
  return fromRecords(parseWith(s3NotificationSchema, body, 'S3 event notification').Records, source);
}

/** A MinIO bucket notification: one record, `s3:`-prefixed event name, key escaped including `/`. */
export function parseMinioNotification(body: unknown): ParsedDelivery {
  return fromRecords(parseWith(minioNotificationSchema, body, 'MinIO bucket notification').Records, 'minio');
}

/** EventBridge `reason` values of "Object Created", as the notification format names them. */
const EVENTBRIDGE_REASONS: Record<string, string> = {
  PutObject: 'Put',
  'POST Object': 'Post',
  CopyObject: 'Copy',
  CompleteMultipartUpload: 'CompleteMultipartUpload',
};

/**
 * An EventBridge event from S3. Whether EventBridge URL-encodes `detail.object.key` like the
 * notification format is not confirmed by AWS's docs; `keyEncoding` says how to read it.
 */
export function parseEventBridgeEvent(body: unknown, keyEncoding: 'form' | 'plain' = 'form'): ParsedDelivery {
  const event = parseWith(eventBridgeEventSchema, body, 'EventBridge S3 event');
  const { bucket, object, reason } = event.detail;
  const key = keyEncoding === 'form' ? decodeS3Key(object.key) : object.key;
  if (event['detail-type'] !== 'Object Created') {
    return { kind: 'records', events: [], ignored: [{ bucket: bucket.name, key, eventName: event['detail-type'], reason: `${event['detail-type']} is not an object-created event` }] };
  }
  const eventName = `ObjectCreated:${reason ? (EVENTBRIDGE_REASONS[reason] ?? reason.replace(/\s+/g, '')) : 'Put'}`;
  return {
    kind: 'records',
    ignored: [],
    events: [
      {
        source: 'eventbridge',
        bucket: bucket.name,
        key,
        eventName,
        ...(object.size !== undefined ? { size: object.size } : {}),
        ...(object.etag ? { etag: normalizeETag(object.etag) } : {}),
        ...(object['version-id'] ? { versionId: object['version-id'] } : {}),
        ...(object.sequencer ? { sequencer: object.sequencer } : {}),
        ...(event.time ? { eventTime: event.time } : {}),
      },
    ],
  };
}

/** The SNS envelope (any of the three types); the signature is checked by `SnsVerifier`. */
export function parseSnsMessage(body: unknown): SnsMessage {
  return parseWith(snsMessageSchema, body, 'SNS message');
}

/** The S3 notification inside an SNS Notification: a JSON string, so it is parsed a second time. */
export function parseSnsNotificationPayload(message: SnsMessage): ParsedDelivery {
  let inner: unknown;
  try {
    inner = JSON.parse(message.Message);
  } catch {
    throw new EventFormatError('the SNS Message is not JSON (expected an S3 event notification)');
  }
  return parseS3Notification(inner, 'sns');
}

/** Which format a body is in, from its shape (for `POST /hooks`); undefined when none fits. */
export function detectFormat(body: unknown): EventFormat | undefined {
  if (!isObject(body)) return undefined;
  if (typeof body.Type === 'string' && typeof body.Signature === 'string' && typeof body.TopicArn === 'string') return 'sns';
  if (Array.isArray(body.Records)) return typeof body.EventName === 'string' && typeof body.Key === 'string' ? 'minio' : 's3';
  if (body.Event === 's3:TestEvent') return 's3';
  if (body.source === 'aws.s3' && typeof body['detail-type'] === 'string') return 'eventbridge';
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
