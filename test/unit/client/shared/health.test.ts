import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { addHealthRoute, answersPing, runChecks } from '../../../../client/shared/health';

describe('client/shared/health', () => {
  it('when every check passes, then GET /health answers 200 with each check ok', async () => {
    const app = Fastify();
    addHealthRoute(app, [{ name: 'a', check: async () => undefined }, { name: 'b', check: async () => undefined }]);

    const response = await app.inject({ method: 'GET', url: '/health' });

    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok', checks: { a: 'ok', b: 'ok' } });
  });

  it('when a dependency cannot be reached, then GET /health answers 503 naming it and why', async () => {
    const app = Fastify();
    addHealthRoute(app, [
      { name: 'data-dir', check: async () => undefined },
      { name: 'endpoint-host', check: answersPing('http://127.0.0.1:9') },
    ]);

    const response = await app.inject({ method: 'GET', url: '/health' });

    assert.equal(response.statusCode, 503);
    const body = response.json<{ status: string; checks: Record<string, string> }>();
    assert.equal(body.status, 'unhealthy');
    assert.equal(body.checks['data-dir'], 'ok');
    assert.match(body.checks['endpoint-host']!, /ECONNREFUSED|fetch failed/);
  });

  it('when a check hangs, then it fails after the time limit instead of hanging the probe', async () => {
    const started = Date.now();

    const results = await runChecks([{ name: 'stuck', check: () => new Promise<void>(() => undefined) }], 100);

    assert.deepEqual(results, { stuck: 'no answer within 100 ms' });
    assert.ok(Date.now() - started < 2000);
  });
});
