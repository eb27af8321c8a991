/**
 * `make bench-gateway`: the real stack (Temporal, endpoint host with Python model servers,
 * gateway), both models trained and deployed with data capture at 100 %, then on loopback, every
 * figure against a baseline measured in the same run:
 * 1. throughput: the same closed-loop load generator (CONNECTIONS loops) drives POST /v1/predict
 *    and, as the baseline, the direct pair of endpoint calls a client would make itself (both
 *    endpoints concurrently per record), in alternating rounds; target gateway >= 0.8 x direct;
 * 2. added latency: probes alternate a gateway request and a direct pair (order swapped every
 *    probe); the figure is the distribution of the per-probe differences (gateway - pair), so a
 *    slow moment hits both halves of a pair and cannot make the gateway look faster;
 * 3. fairness: the p99 of one-record requests while BIG_CLIENTS clients send 1,000-record
 *    requests, against the p99 of the same requests with no other load, in alternating blocks
 *    (target <= 2 x);
 * 4. capture loss: waits until the endpoint host has written a capture record for every
 *    invocation it served (a condition with a deadline, not a fixed sleep), then compares.
 * Progress goes to stderr; the last stdout line is one JSON object; exit 1 when a target is missed.
 */
import '../test/helpers/setup';
import { promises as fs } from 'node:fs';
import { Pool } from 'undici';
import { stackPorts } from '../common/config/schema';
import { stackDown, stackUp } from '../client/stack/stack';
import { connectClient } from '../client/temporal';
import { waitForTrainingReport } from '../client/training/report';
import { startTraining } from '../services/training/start-training';
import { createBackend } from '../activities/backends';
import { DATASET, countCaptureRecords, freePortBase, tempDir, testConfig } from '../test/helpers/integration';

const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 16;
const PROBES = Number(process.env.BENCH_PROBES ?? 2000);
const SMALL_PROBES = Number(process.env.BENCH_SMALL_PROBES ?? 600);
const BIG_CLIENTS = Number(process.env.BENCH_BIG_CLIENTS ?? 4);
const BIG_RECORDS = 1000;
const CAPTURE_DEADLINE_MS = 30_000;
const TARGETS = { throughputVsDirect: 0.8, addedLatencyP50Ms: 1, addedLatencyP99Ms: 5, smallP99UnderBigLoadVsIdle: 2, captureLoss: 0 };
const RECORD = { Mileage: 20105, Cylinder: 6, Doors: 4, Cruise: 1, Sound: 0, Leather: 0, Buick: 1, Cadillac: 0, Chevy: 0, Pontiac: 0, Saab: 0, Saturn: 0, convertible: 0, coupe: 0, hatchback: 0, sedan: 1, wagon: 0 };
const ROW = '20105,6,4,1,0,0,1,0,0,0,0,0,0,0,0,1,0';
const ENDPOINTS = ['mlops-xgboost', 'mlops-linear-learner'];

const log = (m: string) => console.error(m);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const ms = (v: number) => Number(v.toFixed(3));

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** `connections` loops calling `fn` back to back for `seconds`; counts completed calls (a failure ends the bench). */
async function closedLoop(connections: number, seconds: number, fn: () => Promise<void>): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < until) {
        await fn();
        done++;
      }
    }),
  );
  return done;
}

async function main(): Promise<void> {
  const home = await tempDir('bench-gateway');
  const base = testConfig({ home, portBase: await freePortBase() });
  // MLOPS_GATEWAY_ENDPOINT_CONCURRENCY / _BULK_CONCURRENCY in the environment try other bounds (the stack's services get their settings from the config).
  const config = {
    ...base,
    ...(process.env.MLOPS_GATEWAY_ENDPOINT_CONCURRENCY ? { gatewayEndpointConcurrency: Number(process.env.MLOPS_GATEWAY_ENDPOINT_CONCURRENCY) } : {}),
    ...(process.env.MLOPS_GATEWAY_BULK_CONCURRENCY ? { gatewayBulkConcurrency: Number(process.env.MLOPS_GATEWAY_BULK_CONCURRENCY) } : {}),
  };
  const ports = stackPorts(config.portBase);
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const hostUrl = `http://127.0.0.1:${ports.endpointHost}`;
  log(`starting the stack in ${home}`);
  await stackUp(config, log);
  let pass = false;
  try {
    const { client, connection } = await connectClient(config);
    try {
      const started = await startTraining(client, createBackend(config), config, { data: DATASET, trigger: 'bench' });
      const report = await waitForTrainingReport(started.handle, (r) => r);
      if (report.status !== 'completed' || report.models.some((m) => m.decision.outcome !== 'accepted')) throw new Error(`training did not deploy both models: ${JSON.stringify(report.error ?? report.models.map((m) => m.decision))}`);
    } finally {
      await connection.close();
    }
    log(`both endpoints in service (gateway: ${config.gatewayEndpointConcurrency} calls in flight per endpoint, ${config.gatewayBulkConcurrency} for bulk requests); warming up`);

    // Invocations per endpoint the clients saw answered (each record of a gateway request is one).
    let invoked = 0;
    const body = JSON.stringify(RECORD);
    const bigBody = JSON.stringify(Array.from({ length: BIG_RECORDS }, (_, i) => ({ ...RECORD, Mileage: 10000 + i })));
    const gatewayPool = new Pool(gatewayUrl, { connections: CONNECTIONS + BIG_CLIENTS + 1 });
    const hostPool = new Pool(hostUrl, { connections: 2 * CONNECTIONS });
    const callGateway = async (payload = body, records = 1) => {
      const r = await gatewayPool.request({ method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, body: payload });
      const text = await r.body.text();
      if (r.statusCode !== 200 || text.includes('"degraded"')) throw new Error(`gateway answered ${r.statusCode}: ${text.slice(0, 300)}`);
      invoked += records;
    };
    const callEndpoint = async (name: string) => {
      const r = await hostPool.request({ method: 'POST', path: `/endpoints/${name}/invocations`, headers: { 'content-type': 'text/csv', accept: 'text/csv' }, body: ROW });
      const text = await r.body.text();
      if (r.statusCode !== 200) throw new Error(`${name} answered ${r.statusCode}: ${text.slice(0, 300)}`);
    };
    const callPair = async () => {
      await Promise.all(ENDPOINTS.map(callEndpoint));
      invoked++;
    };
    await closedLoop(CONNECTIONS, 2, () => callGateway());
    await closedLoop(CONNECTIONS, 2, callPair);

    log(`throughput: ${ROUNDS} alternating rounds of ${ROUND_SECONDS} s, ${CONNECTIONS} loops, gateway vs the direct pair`);
    const served = { gateway: 0, direct: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      served.gateway += await closedLoop(CONNECTIONS, ROUND_SECONDS, () => callGateway());
      served.direct += await closedLoop(CONNECTIONS, ROUND_SECONDS, callPair);
    }
    const rps = { gateway: served.gateway / (ROUNDS * ROUND_SECONDS), direct: served.direct / (ROUNDS * ROUND_SECONDS) };
    const throughputRatio = rps.gateway / rps.direct;
    log(`  gateway ${rps.gateway.toFixed(0)} req/s, direct pair ${rps.direct.toFixed(0)} pairs/s: ${throughputRatio.toFixed(2)} x`);

    log(`added latency: ${PROBES} probes, each a gateway request and a direct pair (order alternating)`);
    const differences: number[] = [];
    const viaGateway: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < PROBES; i++) {
      let g: number;
      let d: number;
      if (i % 2 === 0) {
        g = await timed(() => callGateway());
        d = await timed(callPair);
      } else {
        d = await timed(callPair);
        g = await timed(() => callGateway());
      }
      viaGateway.push(g);
      direct.push(d);
      differences.push(g - d);
    }
    const added = { p50: percentile(differences, 50), p99: percentile(differences, 99) };
    log(`  added p50 ${added.p50.toFixed(3)} ms, p99 ${added.p99.toFixed(3)} ms (gateway p50 ${percentile(viaGateway, 50).toFixed(3)}, direct pair p50 ${percentile(direct, 50).toFixed(3)})`);

    log(`fairness: ${ROUNDS} rounds of ${SMALL_PROBES / ROUNDS} one-record requests idle, then as many while ${BIG_CLIENTS} clients send ${BIG_RECORDS}-record requests`);
    const smallIdle: number[] = [];
    const smallLoaded: number[] = [];
    const bigLatencies: number[] = [];
    // Alternating blocks, so a change in the machine's other load falls on both sides.
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < SMALL_PROBES / ROUNDS; i++) smallIdle.push(await timed(() => callGateway()));
      let stopBig = false;
      let bigStarted = 0;
      const big = Promise.all(
        Array.from({ length: BIG_CLIENTS }, async () => {
          while (!stopBig) {
            bigStarted++;
            bigLatencies.push(await timed(() => callGateway(bigBody, BIG_RECORDS)));
          }
        }),
      );
      // Measure only once every big client has a request in the gateway.
      while (bigStarted < BIG_CLIENTS) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 200));
      try {
        for (let i = 0; i < SMALL_PROBES / ROUNDS; i++) smallLoaded.push(await timed(() => callGateway()));
      } finally {
        stopBig = true;
        await big;
      }
    }
    const small = { idleP99: percentile(smallIdle, 99), loadedP99: percentile(smallLoaded, 99), idleP50: percentile(smallIdle, 50), loadedP50: percentile(smallLoaded, 50) };
    const smallRatio = small.loadedP99 / small.idleP99;
    log(`  one-record p99 idle ${small.idleP99.toFixed(3)} ms, under ${BIG_CLIENTS} large clients ${small.loadedP99.toFixed(3)} ms: ${smallRatio.toFixed(2)} x; ${bigLatencies.length} large requests, p50 ${percentile(bigLatencies, 50).toFixed(0)} ms`);
    await gatewayPool.close();
    await hostPool.close();

    log('capture: waiting until every served invocation is captured');
    const hostServed = async () => ((await (await fetch(`${hostUrl}/admin/endpoints`)).json()) as { served: Record<string, number> }).served;
    const capturedNow = async () => Object.fromEntries(await Promise.all(ENDPOINTS.map(async (e) => [e, await countCaptureRecords(home, e)] as const)));
    const deadline = Date.now() + CAPTURE_DEADLINE_MS;
    let servedByHost = await hostServed();
    let captured = await capturedNow();
    while (ENDPOINTS.some((e) => captured[e]! < (servedByHost[e] ?? 0)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      servedByHost = await hostServed();
      captured = await capturedNow();
    }
    const loss = Math.max(...ENDPOINTS.map((e) => (servedByHost[e] ?? 0) - captured[e]!));
    // Every loop awaits its calls, so the host served exactly what the clients counted, once each.
    const consistent = ENDPOINTS.every((e) => captured[e] === invoked && servedByHost[e] === invoked);
    log(`  served per endpoint ${JSON.stringify(servedByHost)} (clients counted ${invoked}); captured ${JSON.stringify(captured)}`);

    const checks = {
      throughputVsDirect: throughputRatio >= TARGETS.throughputVsDirect,
      addedLatencyP50Ms: added.p50 <= TARGETS.addedLatencyP50Ms,
      addedLatencyP99Ms: added.p99 <= TARGETS.addedLatencyP99Ms,
      smallP99UnderBigLoadVsIdle: smallRatio <= TARGETS.smallP99UnderBigLoadVsIdle,
      captureLoss: loss === TARGETS.captureLoss && consistent,
    };
    pass = Object.values(checks).every(Boolean);
    console.log(
      JSON.stringify({
        benchmark: 'gateway',
        figures: {
          endpointConcurrency: { all: config.gatewayEndpointConcurrency, bulk: config.gatewayBulkConcurrency },
          requestsPerSecond: { gateway: Math.round(rps.gateway), directPair: Math.round(rps.direct) },
          throughputVsDirect: Number(throughputRatio.toFixed(3)),
          addedLatencyMs: { p50: ms(added.p50), p99: ms(added.p99) },
          gatewayLatencyMs: { p50: ms(percentile(viaGateway, 50)), p99: ms(percentile(viaGateway, 99)) },
          directPairLatencyMs: { p50: ms(percentile(direct, 50)), p99: ms(percentile(direct, 99)) },
          oneRecordLatencyMs: { idle: { p50: ms(small.idleP50), p99: ms(small.idleP99) }, underBigLoad: { p50: ms(small.loadedP50), p99: ms(small.loadedP99) } },
          smallP99UnderBigLoadVsIdle: Number(smallRatio.toFixed(3)),
          bigRequests: { clients: BIG_CLIENTS, records: BIG_RECORDS, answered: bigLatencies.length, p50Ms: Math.round(percentile(bigLatencies, 50)), p99Ms: Math.round(percentile(bigLatencies, 99)) },
          servedPerEndpoint: servedByHost,
          countedByClients: invoked,
          captured,
          captureLoss: loss,
        },
        targets: TARGETS,
        checks,
        pass,
      }),
    );
  } finally {
    await stackDown(config).catch(() => undefined);
    await fs.rm(home, { recursive: true, force: true });
  }
  if (!pass) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
