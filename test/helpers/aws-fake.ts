import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A small HTTP stand-in for the AWS paths moto lacks (a failed UpdateEndpoint rolled back, an
 * UpdateRollbackFailed endpoint, ResourceLimitExceeded, S3's 403 on a missing key, Service
 * Quotas): the real SDK v3 clients are aimed at it, so every answer goes through their whole
 * middleware stack (protocol parsing, error deserialisation, retries) as AWS's would. Answers are
 * the real-shaped responses in test/fixtures/aws/responses.json (each with its source), replayed
 * per operation in order; the last one of a list repeats.
 */
export interface FakeRequest {
  method: string;
  path: string;
  /** `SageMaker.DescribeEndpoint`-style operation (JSON protocols), else `<METHOD> <path>`. */
  operation: string;
  body: unknown;
}

export interface FakeAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface AwsFake {
  url: string;
  requests: FakeRequest[];
  /** The answers of one operation, in order (the last repeats). */
  on(operation: string, ...answers: (FakeAnswer | ((req: FakeRequest) => FakeAnswer))[]): void;
  count(operation: string): number;
  close(): Promise<void>;
}

type Recorded = Record<string, FakeAnswer & { source: string }>;
const RECORDED = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'aws', 'responses.json'), 'utf8')) as Recorded;

/** A recorded answer by name, with optional changes to its JSON body. */
export function recorded(name: string, patch: Record<string, unknown> = {}): FakeAnswer {
  const answer = RECORDED[name];
  if (!answer) throw new Error(`no recorded response named ${name}`);
  const { source: _source, ...rest } = answer;
  return { ...rest, ...(rest.body && typeof rest.body === 'object' ? { body: { ...(rest.body as object), ...patch } } : {}) };
}

/** JSON 1.1 answers carry dates as epoch seconds. */
export function epoch(iso: string): number {
  return Date.parse(iso) / 1000;
}

export async function startAwsFake(): Promise<AwsFake> {
  const requests: FakeRequest[] = [];
  const routes = new Map<string, (FakeAnswer | ((req: FakeRequest) => FakeAnswer))[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const target = req.headers['x-amz-target'];
      const url = new URL(req.url ?? '/', 'http://fake');
      const operation = typeof target === 'string' ? target : `${req.method} ${url.pathname}`;
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        /* XML or a raw body */
      }
      const request: FakeRequest = { method: req.method ?? 'GET', path: url.pathname, operation, body };
      requests.push(request);
      const list = routes.get(operation);
      const next = list && (list.length > 1 ? list.shift()! : list[0]!);
      const answer: FakeAnswer = next ? (typeof next === 'function' ? next(request) : next) : { status: 500, body: { __type: 'InternalFailure', message: `aws fake: no answer for ${operation}` } };
      const json = typeof target === 'string' || (answer.body !== undefined && typeof answer.body === 'object');
      const payload = answer.body === undefined || req.method === 'HEAD' ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'content-type': json ? 'application/x-amz-json-1.1' : 'application/xml', 'x-amzn-requestid': `fake-${requests.length}`, ...answer.headers });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on(operation, ...answers) {
      routes.set(operation, answers);
    },
    count(operation) {
      return requests.filter((r) => r.operation === operation).length;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
