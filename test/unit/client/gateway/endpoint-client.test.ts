import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { AwsEndpointClient } from '../../../../client/gateway/aws-endpoint-client';
import { EndpointCallError, EndpointClient } from '../../../../client/gateway/endpoint-client';

/**
 * The local runtime client's deadline: a call that takes too long fails as a timeout, and a call
 * that was answered leaves nothing behind that aborts later (each such late abort cost the gateway a
 * timer and a DOMException per call, long after the answer).
 */
describe('client/gateway endpoint clients: the call deadline', () => {
  let server: http.Server;
  let url: string;
  let delayMs = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'text/csv', 'x-amzn-invoked-production-variant': 'v1' });
          res.end('42.5');
        }, delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Every abort signal created while `fn` runs, however it was made (a timeout signal or a controller's). */
  async function signalsCreatedBy<T>(fn: () => Promise<T>): Promise<{ result: T; signals: AbortSignal[] }> {
    const signals: AbortSignal[] = [];
    const timeout = AbortSignal.timeout.bind(AbortSignal);
    const Controller = globalThis.AbortController;
    AbortSignal.timeout = (ms: number) => {
      const s = timeout(ms);
      signals.push(s);
      return s;
    };
    globalThis.AbortController = class extends Controller {
      constructor() {
        super();
        signals.push(this.signal);
      }
    };
    try {
      return { result: await fn(), signals };
    } finally {
      AbortSignal.timeout = timeout;
      globalThis.AbortController = Controller;
    }
  }

  it('when the endpoint answers within the deadline, then no signal of the call aborts after the answer', async () => {
    delayMs = 0;
    const client = new EndpointClient(url, 50);
    try {
      const { result, signals } = await signalsCreatedBy(() => client.invoke('mlops-xgboost', '1,2,3', 'id-1'));
      assert.deepEqual(result, { prediction: 42.5, variant: 'v1' });
      assert.ok(signals.length >= 1, 'the call made no deadline at all');
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(
        signals.map((s) => s.aborted),
        signals.map(() => false),
      );
    } finally {
      await client.close();
    }
  });

  it('when SageMaker Runtime answers within the deadline (aws), then no signal of the call aborts after the answer', async () => {
    const runtime = { send: () => Promise.resolve({ Body: Buffer.from('{"predictions": [{"score": 7}]}'), InvokedProductionVariant: 'v2' }), destroy: () => undefined } as unknown as SageMakerRuntimeClient;
    const client = new AwsEndpointClient(runtime, 50);
    const { result, signals } = await signalsCreatedBy(() => client.invoke('mlops-xgboost', '1,2,3', 'id-3'));
    assert.deepEqual(result, { prediction: 7, variant: 'v2' });
    assert.ok(signals.length >= 1, 'the call made no deadline at all');
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(
      signals.map((s) => s.aborted),
      signals.map(() => false),
    );
  });

  it('when the endpoint answers after the deadline, then the call fails as a timeout naming the endpoint and the bound', async () => {
    delayMs = 300;
    const client = new EndpointClient(url, 50);
    try {
      await assert.rejects(
        () => client.invoke('mlops-xgboost', '1,2,3', 'id-2'),
        (err: unknown) => err instanceof EndpointCallError && err.kind === 'timeout' && err.message === 'mlops-xgboost did not answer within 50 ms',
      );
    } finally {
      await client.close();
    }
  });
});
