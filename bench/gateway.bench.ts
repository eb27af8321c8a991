/**
 * `make bench-gateway`: the real stack (Temporal, endpoint host with Python model servers,
 * gateway), both models trained and deployed with data capture at 100 %, then on loopback:
 * 1. throughput: autocannon drives POST /v1/predict for BENCH_SECONDS;
 * 2. added latency: a µs-precision probe alternates a gateway request with a direct pair of
 *    endpoint calls made concurrently (the slower of the two is what a client would wait for);
 * 3. capture loss: captured records per endpoint against invocations served.
 * Progress goes to stderr; the last line is one JSON object.
 */
import '../test/helpers/setup';
import { promises as fs } from 'node:fs';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { stackPorts } from '../common/config/schema';
import { stackDown, stackUp } from '../client/stack/stack';
import { connectClient } from '../client/temporal';
import { waitForTrainingReport } from '../client/training/report';
import { startTraining } from '../services/training/start-training';
import { createBackend } from '../activities/backends';
import { DATASET, countCaptureRecords, freePortBase, tempDir, testConfig } from '../test/helpers/integration';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const PROBES = Number(process.env.BENCH_PROBES ?? 3000);
const TARGETS = { requestsPerSecond: 1000, addedLatencyP50Ms: 1, addedLatencyP99Ms: 5, captureLoss: 0 };
const RECORD = { Mileage: 20105, Cylinder: 6, Doors: 4, Cruise: 1, Sound: 0, Leather: 0, Buick: 1, Cadillac: 0, Chevy: 0, Pontiac: 0, Saab: 0, Saturn: 0, convertible: 0, coupe: 0, hatchback: 0, sedan: 1, wagon: 0 };
const ROW = '20105,6,4,1,0,0,1,0,0,0,0,0,0,0,0,1,0';
const ENDPOINTS = ['mlops-xgboost', 'mlops-linear-learner'];

const log = (m: string) => console.error(m);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  const home = await tempDir('bench-gateway');
  const config = testConfig({ home, portBase: await freePortBase() });
  const ports = stackPorts(config.portBase);
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const hostUrl = `http://127.0.0.1:${ports.endpointHost}`;
  log(`starting the stack in ${home}`);
  await stackUp(config, log);
  try {
    const { client, connection } = await connectClient(config);
    try {
      const started = await startTraining(client, createBackend(config), config, { data: DATASET, trigger: 'bench' });
      const report = await waitForTrainingReport(started.handle, (r) => r);
      if (report.status !== 'completed' || report.models.some((m) => m.decision.outcome !== 'accepted')) throw new Error(`training did not deploy both models: ${JSON.stringify(report.error ?? report.models.map((m) => m.decision))}`);
    } finally {
      await connection.close();
    }
    log('both endpoints in service; warming up');
    const body = JSON.stringify(RECORD);
    const served = { gateway: 0, direct: 0 };
    const cannon = (duration: number) =>
      autocannon({ url: `${gatewayUrl}/v1/predict`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 16, duration });
    const warm = await cannon(3);
    served.gateway += warm['2xx'];

    log(`throughput: ${SECONDS} s of POST /v1/predict with 16 connections`);
    const load = await cannon(SECONDS);
    served.gateway += load['2xx'];
    const rps = load['2xx'] / SECONDS;
    log(`  ${rps.toFixed(0)} req/s, ${load.non2xx} non-2xx, ${load.errors} errors, ${load.timeouts} timeouts, latency p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms`);

    log(`added latency: ${PROBES} gateway requests interleaved with ${PROBES} direct endpoint pairs`);
    const gatewayPool = new Pool(gatewayUrl, { connections: 1 });
    const hostPool = new Pool(hostUrl, { connections: 4 });
    const viaGateway: number[] = [];
    const direct: number[] = [];
    const callGateway = async () => {
      const r = await gatewayPool.request({ method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, body });
      await r.body.text();
      if (r.statusCode !== 200) throw new Error(`gateway answered ${r.statusCode}`);
      served.gateway++;
    };
    const callEndpoint = async (name: string) => {
      const r = await hostPool.request({ method: 'POST', path: `/endpoints/${name}/invocations`, headers: { 'content-type': 'text/csv', accept: 'text/csv' }, body: ROW });
      await r.body.text();
      if (r.statusCode !== 200) throw new Error(`${name} answered ${r.statusCode}`);
    };
    for (let i = 0; i < 200; i++) {
      await callGateway();
      await Promise.all(ENDPOINTS.map(callEndpoint));
      served.direct++;
    }
    for (let i = 0; i < PROBES; i++) {
      viaGateway.push(await timed(callGateway));
      direct.push(await timed(async () => void (await Promise.all(ENDPOINTS.map(callEndpoint)))));
      served.direct++;
    }
    await gatewayPool.close();
    await hostPool.close();
    viaGateway.sort((a, b) => a - b);
    direct.sort((a, b) => a - b);
    const added = { p50: percentile(viaGateway, 50) - percentile(direct, 50), p99: percentile(viaGateway, 99) - percentile(direct, 99) };
    log(`  gateway p50 ${percentile(viaGateway, 50).toFixed(3)} ms p99 ${percentile(viaGateway, 99).toFixed(3)} ms; direct pair p50 ${percentile(direct, 50).toFixed(3)} ms p99 ${percentile(direct, 99).toFixed(3)} ms`);

    // Capture flushes every second. The endpoint host counts what it served apart from capture;
    // the client-side count misses the requests autocannon drops in flight when a run ends.
    await new Promise((r) => setTimeout(r, 2500));
    const hostView = (await (await fetch(`${hostUrl}/admin/endpoints`)).json()) as { served: Record<string, number> };
    const countedByClients = served.gateway + served.direct;
    const captured = Object.fromEntries(await Promise.all(ENDPOINTS.map(async (e) => [e, await countCaptureRecords(home, e)] as const)));
    const loss = Math.max(...ENDPOINTS.map((e) => (hostView.served[e] ?? 0) - captured[e]!));
    const inFlightDropped = 16 * 2;
    const consistent = ENDPOINTS.every((e) => captured[e]! >= countedByClients && captured[e]! <= countedByClients + inFlightDropped);
    log(`  served per endpoint ${JSON.stringify(hostView.served)} (clients counted ${countedByClients}); captured ${JSON.stringify(captured)}`);

    const checks = {
      requestsPerSecond: rps >= TARGETS.requestsPerSecond && load.non2xx === 0 && load.errors === 0,
      addedLatencyP50Ms: added.p50 <= TARGETS.addedLatencyP50Ms,
      addedLatencyP99Ms: added.p99 <= TARGETS.addedLatencyP99Ms,
      captureLoss: loss === TARGETS.captureLoss && consistent,
    };
    console.log(
      JSON.stringify({
        benchmark: 'gateway',
        figures: {
          requestsPerSecond: Math.round(rps),
          loadLatencyMs: { p50: load.latency.p50, p99: load.latency.p99 },
          non2xx: load.non2xx,
          errors: load.errors,
          addedLatencyMs: { p50: Number(added.p50.toFixed(3)), p99: Number(added.p99.toFixed(3)) },
          gatewayLatencyMs: { p50: Number(percentile(viaGateway, 50).toFixed(3)), p99: Number(percentile(viaGateway, 99).toFixed(3)) },
          directPairLatencyMs: { p50: Number(percentile(direct, 50).toFixed(3)), p99: Number(percentile(direct, 99).toFixed(3)) },
          servedPerEndpoint: hostView.served,
          countedByClients,
          captured,
          captureLoss: loss,
        },
        targets: TARGETS,
        checks,
        pass: Object.values(checks).every(Boolean),
      }),
    );
  } finally {
    await stackDown(config).catch(() => undefined);
    await fs.rm(home, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
