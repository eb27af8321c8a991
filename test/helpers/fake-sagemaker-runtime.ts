import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** How one endpoint of the fake runtime answers `POST /endpoints/:name/invocations`. */
export type EndpointBehaviour =
  /**
   * 200 with `body` (default `123.5\n`, `text/csv; charset=utf-8`), after `delayMs` if given, naming
   * `variant` in `x-amzn-invoked-production-variant` as SageMaker does (no header without one).
   */
  | { kind: 'value'; body?: string; delayMs?: number; variant?: string }
  /** 424 ModelError, as SageMaker answers when the container returned an error. */
  | { kind: 'model-error' }
  /** The connection is destroyed without an answer. */
  | { kind: 'drop' };

/** One invocation as the fake runtime received it. */
export interface ReceivedInvocation {
  endpointName: string;
  inferenceId: string | undefined;
  contentType: string | undefined;
  body: string;
}

export interface FakeRuntime {
  url: string;
  received: ReceivedInvocation[];
  /** The most invocations each endpoint had in flight at once. */
  maxInFlight: Map<string, number>;
  /** Changes how `endpointName` answers from the next invocation on. */
  set(endpointName: string, behaviour: EndpointBehaviour): void;
  close(): Promise<void>;
}

/**
 * A stand-in for the SageMaker runtime API (section 2.2 of the formats reference) on 127.0.0.1
 * and a free port: each endpoint answers as configured, and every invocation is recorded, including
 * those it then drops or delays.
 */
export async function startFakeRuntime(behaviours: Record<string, EndpointBehaviour>): Promise<FakeRuntime> {
  const configured = new Map(Object.entries(behaviours));
  const received: ReceivedInvocation[] = [];
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const match = /^\/endpoints\/([^/]+)\/invocations$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'not found' }));
        return;
      }
      const endpointName = decodeURIComponent(match[1]!);
      const inferenceId = req.headers['x-amzn-sagemaker-inference-id'];
      received.push({ endpointName, inferenceId: Array.isArray(inferenceId) ? inferenceId[0] : inferenceId, contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
      inFlight.set(endpointName, (inFlight.get(endpointName) ?? 0) + 1);
      maxInFlight.set(endpointName, Math.max(maxInFlight.get(endpointName) ?? 0, inFlight.get(endpointName)!));
      res.on('close', () => inFlight.set(endpointName, inFlight.get(endpointName)! - 1));
      const behaviour = configured.get(endpointName);
      if (!behaviour) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `Endpoint ${endpointName} of account 000000000000 not found.` }));
        return;
      }
      switch (behaviour.kind) {
        case 'drop':
          req.socket.destroy();
          return;
        case 'model-error':
          res.writeHead(424, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              ErrorCode: 'CLIENT_ERROR_FROM_MODEL',
              Message: 'Received client error (400) from primary with message "Feature size of csv inference data 16 is not consistent". See logs.',
              OriginalStatusCode: 400,
              OriginalMessage: 'Feature size of csv inference data 16 is not consistent',
            }),
          );
          return;
        case 'value': {
          const answer = () =>
            res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', ...(behaviour.variant ? { 'x-amzn-invoked-production-variant': behaviour.variant } : {}) }).end(behaviour.body ?? '123.5\n');
          if (!behaviour.delayMs) return answer();
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (!res.destroyed) answer();
          }, behaviour.delayMs);
          timers.add(timer);
          // The caller gave up: forget the pending answer.
          res.on('close', () => {
            clearTimeout(timer);
            timers.delete(timer);
          });
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    maxInFlight,
    set: (endpointName, behaviour) => configured.set(endpointName, behaviour),
    close: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** A URL on 127.0.0.1 where nothing listens: connections are refused. */
export async function refusedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  return `http://127.0.0.1:${port}`;
}
