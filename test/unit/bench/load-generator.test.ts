import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { LatencySamples } from '../../../bench/lib/latency-samples';
import { LoadGenerator } from '../../../bench/lib/load-generator';

describe('bench load generator (bench-deploy)', () => {
  describe('LatencySamples', () => {
    it('when more samples arrive than the first columns hold, then every one comes back in order with its variant', () => {
      const samples = new LatencySamples();
      for (let i = 0; i < 5000; i++) samples.push(1_000_000 + i, i / 10, i % 7 === 0 ? 0 : 200, i % 3 === 0 ? '' : i % 3 === 1 ? 'old' : 'new');
      const out = LatencySamples.toArray(samples.columns());
      assert.equal(out.length, 5000);
      assert.deepEqual(out[0], { at: 1_000_000, ms: 0, status: 0, variant: '' });
      assert.deepEqual(out[4999], { at: 1_004_999, ms: 499.9, status: 200, variant: 'old' });
      assert.equal(out.filter((s) => s.variant === 'new').length, 1666);
    });
  });

  describe('LoadGenerator', () => {
    // The endpoint stand-in runs on a thread of its own too: the tests block the main thread.
    const SERVER = `
      const { createServer } = require('node:http');
      const { parentPort } = require('node:worker_threads');
      const server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          if (req.url === '/endpoints/broken/invocations') return res.writeHead(500).end('no');
          res.writeHead(200, { 'content-type': 'text/csv', 'x-amzn-invoked-production-variant': 'blue' }).end('1.0');
        });
      });
      server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
    `;
    let server: Worker;
    let load: LoadGenerator;

    before(async () => {
      server = new Worker(SERVER, { eval: true });
      const port = await new Promise<number>((resolve, reject) => {
        server.once('message', resolve);
        server.once('error', reject);
      });
      load = new LoadGenerator(`http://127.0.0.1:${port}`, { connections: 8 });
    });

    after(async () => {
      await load.close();
      await server.terminate();
    });

    it('when the main thread is blocked (as by a long garbage collection of its heap), then the open loop goes on sending and timing on its own thread', async () => {
      const open = await load.openLoop('e', 400);
      await new Promise((r) => setTimeout(r, 200));
      const blockedFrom = Date.now();
      while (Date.now() - blockedFrom < 300) {
        // busy: the main thread's event loop does not turn for 300 ms
      }
      const blockedTo = Date.now();
      await new Promise((r) => setTimeout(r, 100));
      const samples = await open.stop();
      const during = samples.filter((s) => s.at > blockedFrom + 50 && s.at < blockedTo - 50);
      // 400 req/s for the middle 200 ms of the block: ~80 answers arrived while the main thread was stuck.
      assert.ok(during.length >= 40, `only ${during.length} answers arrived during the block`);
      assert.ok(during.every((s) => s.status === 200 && s.variant === 'blue' && s.ms < 150));
    });

    it('when the rate changes, then the open loop offers the new rate from then on', async () => {
      const open = await load.openLoop('e', 500);
      await new Promise((r) => setTimeout(r, 400));
      open.setRate(0);
      const changedAt = Date.now();
      await new Promise((r) => setTimeout(r, 300));
      const samples = await open.stop();
      assert.ok(samples.length >= 120 && samples.length <= 260, `${samples.length} requests at 500/s for 0.4 s`);
      assert.equal(samples.filter((s) => s.at > changedAt + 100).length, 0);
    });

    it('when an endpoint answers errors, then the closed loop counts them failed and still times them', async () => {
      const result = await load.closedLoop('broken', 1300, 4);
      assert.ok(result.latencies.length > 0);
      assert.equal(result.failed, result.latencies.length);
      assert.ok(result.seconds > 0.2 && result.seconds < 1);
    });
  });
});
