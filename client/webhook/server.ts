import { EdgeError, toEdgeProblem } from '../edge-errors';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CONTROL_CHARACTERS, objectKeyProblem } from '../../common/object-keys';
import { UsageError } from '../../services/usage-error';
import { checkCredentials, type WebhookCredentials } from './auth';
import {
  detectFormat,
  EventFormatError,
  parseEventBridgeEvent,
  parseMinioNotification,
  parseS3Notification,
  parseSnsMessage,
  parseSnsNotificationPayload,
  type EventFormat,
  type IgnoredRecord,
  type ObjectCreatedEvent,
  type ParsedDelivery,
} from './event-schemas';
import type { EventObjectCheck } from './object-check';
import { matchRoute, type PipelineName, type RouteRule } from './routes';
import { fetchCertificateOverHttps, getSubscribeUrl, SnsVerifier } from './sns-signature';
import type { PipelineStarter } from './start-run';

export interface WebhookServerOptions {
  routes: readonly RouteRule[];
  starter: PipelineStarter;
  /** For every format but SNS (which is authenticated by its signature). */
  credentials: WebhookCredentials;
  sns: {
    /** Hosts of SigningCertURL and SubscribeURL. */
    certHostPattern: RegExp;
    /** Accepted topic ARNs; empty: any. */
    topics: readonly string[];
    maxAgeMs: number;
    fetchCertificate?: (url: string) => Promise<string>;
    /** Confirms a subscription (GET of its SubscribeURL). */
    httpGet?: (url: string) => Promise<void>;
    now?: () => number;
  };
  maxBodyBytes: number;
  /** How EventBridge keys are read (AWS does not document whether they are URL-encoded). */
  eventBridgeKeyEncoding?: 'form' | 'plain';
  /** One line per answered request (time, method, path, status, reason). Default: stdout. */
  log?: (line: string) => void;
  /**
   * Checks a routed event against the object as it is now (`objectETagCheck`); a reason means the
   * event starts nothing and is acknowledged as ignored. Unset: events are not checked.
   */
  checkObject?: EventObjectCheck;
}

/** A routed record whose key breaks the key rule (`objectKeyProblem`): it can never start. */
export interface RefusedRecord {
  bucket: string;
  key: string;
  eventName: string;
  rule: string;
}

export interface RunAnswer {
  workflowId: string;
  started: boolean;
  /** Journaled by the inbox; the run starts right after the answer. */
  queued?: boolean;
  pipeline: PipelineName;
}


const FORMATS: readonly EventFormat[] = ['s3', 'eventbridge', 'sns', 'minio'];

/**
 * The S3-event webhook (replaces S3 notification -> SNS/EventBridge -> Lambda): turns
 * object-created events into pipeline starts through the routing rules. Every rejection (401, 403,
 * 400, 413) happens before anything is started, and each answer is logged with its reason.
 *
 * POST /hooks/{s3,eventbridge,sns,minio}, or POST /hooks with the format detected from the body;
 * HEAD on the same paths (MinIO's liveness probe); GET /ping.
 */
export function buildWebhookServer(options: WebhookServerOptions): { app: FastifyInstance; close: () => Promise<void> } {
  if (!options.credentials.token && !options.credentials.hmacSecret) {
    throw new Error('the webhook needs a token or an HMAC secret (MLOPS_WEBHOOK_TOKEN, MLOPS_WEBHOOK_HMAC_SECRET); it never runs open');
  }
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const verifier = new SnsVerifier({
    certHostPattern: options.sns.certHostPattern,
    topics: options.sns.topics,
    maxAgeMs: options.sns.maxAgeMs,
    fetchCertificate: options.sns.fetchCertificate ?? fetchCertificateOverHttps,
    ...(options.sns.now ? { now: options.sns.now } : {}),
  });
  const httpGet = options.sns.httpGet ?? getSubscribeUrl;
  const app = Fastify({ logger: false, bodyLimit: options.maxBodyBytes, keepAliveTimeout: 30_000 });

  // Every body is kept raw: HMACs cover the bytes, and SNS posts JSON as text/plain.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  function answer(request: FastifyRequest, reply: FastifyReply, status: number, body: unknown, reason: string): FastifyReply {
    // One line per request, whatever the reason holds (stack traces, keys with %0A in them).
    log(`${new Date().toISOString()} ${request.method} ${request.url} ${status} ${reason.replace(/[\r\n]+\s*/g, ' | ')}`);
    return reply.code(status).send(body);
  }

  function authenticate(request: FastifyRequest, raw: Buffer): void {
    const problem = checkCredentials(request.headers, raw, options.credentials);
    if (problem) throw new EdgeError('unauthorized', 'Unauthorized', problem);
  }

  async function handle(format: EventFormat | 'detect', request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    let body: unknown;
    let json = true;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      json = false;
    }
    // SNS authenticates by its signature; every other format by token or HMAC, checked before
    // the body is interpreted (an unauthenticated caller learns nothing about formats).
    const isSns = format === 'sns' || (format === 'detect' && json && detectFormat(body) === 'sns');
    if (!isSns) authenticate(request, raw);
    if (!json) throw new EdgeError('bad-request', 'InvalidJson', 'the body is not JSON');
    const resolved = format === 'detect' ? detectFormat(body) : format;
    if (!resolved) throw new EventFormatError('unknown event format: expected an S3 notification, EventBridge event, SNS message or MinIO notification', 'UnknownEventFormat');
    switch (resolved) {
      case 's3':
        return deliver(request, reply, parseS3Notification(body));
      case 'minio':
        return deliver(request, reply, parseMinioNotification(body));
      case 'eventbridge':
        return deliver(request, reply, parseEventBridgeEvent(body, options.eventBridgeKeyEncoding));
      case 'sns':
        return handleSns(request, reply, body);
    }
  }

  async function handleSns(request: FastifyRequest, reply: FastifyReply, body: unknown): Promise<FastifyReply> {
    const message = parseSnsMessage(body);
    await verifier.verify(message);
    if (message.Type === 'SubscriptionConfirmation') {
      if (!verifier.isAllowedUrl(message.SubscribeURL)) {
        throw new EdgeError('forbidden', 'Forbidden', `SubscribeURL refused: its host is not allowed (MLOPS_WEBHOOK_SNS_CERT_HOSTS) or it is not https: ${message.SubscribeURL}`);
      }
      try {
        await httpGet(message.SubscribeURL);
      } catch (err) {
        throw new EdgeError('bad-gateway', 'SubscriptionNotConfirmed', `GET SubscribeURL failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      return answer(request, reply, 200, { confirmed: true, topicArn: message.TopicArn }, `subscription to ${message.TopicArn} confirmed`);
    }
    if (message.Type === 'UnsubscribeConfirmation') {
      return answer(request, reply, 200, { ignored: true, reason: 'UnsubscribeConfirmation' }, `unsubscribed from ${message.TopicArn}`);
    }
    return deliver(request, reply, parseSnsNotificationPayload(message));
  }

  async function deliver(request: FastifyRequest, reply: FastifyReply, delivery: ParsedDelivery): Promise<FastifyReply> {
    if (delivery.kind === 'test') return answer(request, reply, 200, { ignored: true, reason: delivery.reason }, delivery.reason);
    const ignored: IgnoredRecord[] = [...delivery.ignored];
    const refused: RefusedRecord[] = [];
    const candidates: { route: RouteRule; event: ObjectCreatedEvent }[] = [];
    for (const event of delivery.events) {
      const route = matchRoute(options.routes, event);
      if (!route) {
        ignored.push({ bucket: event.bucket, key: event.key, eventName: event.eventName, reason: `no routing rule matches s3://${event.bucket}/${describeKey(event.key)}` });
        continue;
      }
      // The key becomes file names and the workflow id: one that can never be processed is
      // refused here rather than started into a run that retries an error that cannot heal.
      const rule = objectKeyProblem(event.key);
      if (rule) refused.push({ bucket: event.bucket, key: event.key, eventName: event.eventName, rule });
      else candidates.push({ route, event });
    }
    const refusal = refused.map((r) => `s3://${r.bucket}/${describeKey(r.key)}: ${r.rule}`).join('; ');
    const checks = await Promise.all(candidates.map(({ event }) => options.checkObject?.(event)));
    const routed = candidates.filter((candidate, i) => {
      const reason = checks[i];
      if (reason) ignored.push({ bucket: candidate.event.bucket, key: candidate.event.key, eventName: candidate.event.eventName, reason });
      return !reason;
    });
    if (routed.length === 0) {
      if (refused.length > 0) throw new EdgeError('bad-request', 'InvalidObjectKey', `refused: ${refusal}`);
      const reason = ignored.map((i) => i.reason).join('; ') || 'no records';
      return answer(request, reply, 200, { ignored: true, reason, ...(ignored.length > 1 ? { records: ignored } : {}) }, reason);
    }
    const runs: RunAnswer[] = await Promise.all(
      routed.map(async ({ route, event }) => ({ ...(await options.starter(route, event)), pipeline: route.pipeline })),
    );
    const reason = [...runs.map((r) => `${r.queued ? 'queued' : r.started ? 'started' : 'existing'} ${r.workflowId}`), ...(refused.length ? [`refused: ${refusal}`] : [])].join('; ');
    return answer(request, reply, 202, { runs, ...(ignored.length ? { ignored } : {}), ...(refused.length ? { refused } : {}) }, reason);
  }

  // Deliveries whose starts are still running: `close` waits for them, so a start is never cut off
  // halfway when the sender has already hung up.
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    const done = () => void inFlight.delete(work);
    work.then(done, done);
    return work;
  };

  app.get('/ping', async () => ({ status: 'ok' }));
  for (const path of ['/hooks', ...FORMATS.map((f) => `/hooks/${f}`)]) {
    const format = path === '/hooks' ? 'detect' : (path.slice('/hooks/'.length) as EventFormat);
    app.post(path, (request, reply) => track(handle(format, request, reply)));
    // MinIO probes its target with HEAD before sending; any answer means "up".
    app.head(path, async (_request, reply) => reply.code(200).send());
  }

  app.setNotFoundHandler((request, reply) => answer(request, reply, 404, problem('NotFound', `no route ${request.method} ${request.url}`), 'no such route'));

  app.setErrorHandler((error: Error, request, reply) => {
    // A start the route or the data refuses is the sender's to fix, not a malformed request: 422.
    const refused = error instanceof UsageError ? new EdgeError('unprocessable', 'CannotStart', error.message) : error;
    const result = toEdgeProblem(refused, { service: 'webhook', maxBodyBytes: options.maxBodyBytes });
    const reason = result.internal ? `internal error: ${error.stack ?? error.message}` : result.kind === 'unavailable' && !(error instanceof EdgeError) ? `Temporal unavailable: ${error.message}` : result.body.message;
    return answer(request, reply, result.status, result.body, reason);
  });

  return {
    app,
    close: async () => {
      await app.close();
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** A key as it may appear in an answer or a log line: control characters escaped, at most 120 characters. */
function describeKey(key: string): string {
  const shown = key.length > 120 ? `${key.slice(0, 120)}...(${key.length} characters)` : key;
  return CONTROL_CHARACTERS.test(shown) ? JSON.stringify(shown).slice(1, -1) : shown;
}

function problem(error: string, message: string) {
  return { error, message };
}

/** gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4): the sender should retry later. */
