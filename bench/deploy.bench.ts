/**
 * `make bench-deploy`: safe deployments on the real stack (Temporal, the project's worker, the
 * endpoint host with Python model servers), under a steady open-loop load from the bench itself
 * (half of the records carry a missing value, which the XGBoost models take and the bad linear
 * model refuses). Phases, each against a baseline measured in the same run:
 * 0. baseline: the load with no deployment (p99 and failures the later phases compare with);
 * 1. a good model deployed by canary (10 %, then all) at LOAD_RPS: 0 failed requests, p99 against the baseline;
 * 2. a bad model (fails half of its requests) deployed by canary 10 %: rolled back within 15 s of
 *    the canary's first answer, failed requests <= the canary share of the requests in that window;
 * 3. autoscaling under a step load: low -> high req/s on one endpoint scales out from 1 to >= 3
 *    processes and p99 (per second) is back under 50 ms within 30 s; after the load drops it scales
 *    back in within two scale-in cool-downs; 0 failed requests throughout.
 *
 * Why the step is relative to a capacity measured in the run: issue 18 asked for 200 -> 1,500 req/s,
 * but on the 2 shared CPUs this runs on (the load generator, the Node host and the Python servers
 * share them, other work too) the whole path answers a few hundred to ~2,500 req/s (by the
 * machine's load) whatever the number of model-server processes, so the absolute step measured
 * the machine, not the autoscaler (it queued the offered load and p99 never came back). So just
 * before the step, the bench measures the capacity of this path (closed loop, the same client)
 * with one process and with the variant's maximum, and steps from 0.1x to 0.7x of the latter
 * (the ratio of 200 -> 1,500, at a load the stack can answer, so "p99 back under 50 ms" is possible
 * at all; 1.1x would queue without end), with the target per instance at 0.4x of the high load
 * (ceil(0.7 / 0.28) = 3 processes; the low load needs 1). The capacity is measured again after
 * the step (an interleaved baseline: it shows how much the machine drifted) and both are reported
 * in req/s with the load average, and so are the absolute low and high rates.
 * BENCH_DEPLOY_STEP_RPS=<n> runs the absolute step 200 -> n instead.
 * Progress goes to stderr; the last stdout line is one JSON object; exit 1 when a target is missed.
 */
import '../test/helpers/setup';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { createBackend } from '../activities/backends';
import { parsePrometheusText, select } from '../activities/backends/prometheus-text';
import { stackDown, stackUp } from '../client/stack/stack';
import { connectClient } from '../client/temporal';
import { taskQueuesOf } from '../common/config/parse';
import { stackPorts } from '../common/config/schema';
import { SERVING_METRICS } from '../common/serving-metrics';
import type { EndpointDeploymentInput, EndpointDeploymentResult } from '../common/types/deployment';
import { freePortBase, tempDir, testConfig } from '../test/helpers/integration';
import { createDeploymentModel, makeDeploymentModels } from '../test/helpers/deployment-models';

const LOAD_RPS = Number(process.env.BENCH_DEPLOY_RPS ?? 500);
/** An absolute step 200 -> n req/s (issue 18's 200 -> 1,500) instead of the one relative to the measured capacity. */
const ABSOLUTE_STEP_RPS = process.env.BENCH_DEPLOY_STEP_RPS ? Number(process.env.BENCH_DEPLOY_STEP_RPS) : undefined;
/** The step's low and high load as shares of the capacity with MAX_INSTANCES processes, and the target per instance as a share of the high load. */
const STEP_SHAPE = { low: 0.1, high: 0.7, targetPerInstanceOfHigh: 0.4 };
const MAX_INSTANCES = 4;
const SCALE_IN_COOLDOWN_S = 10;
const CAPACITY_MS = 8000;
const TARGETS = { goodCanaryFailed: 0, rollbackWithinS: 15, badFailedShareOfWindowMax: 0.1, scaledOutTo: 3, p99BackUnderMsWithinS: { ms: 50, s: 30 }, scaleInWithinS: 2 * SCALE_IN_COOLDOWN_S, stepFailed: 0 };
const ENDPOINT = 'bench-deploy';
/** The same model with MAX_INSTANCES processes, for the capacity the step is relative to. */
const CAPACITY_ENDPOINT = 'bench-capacity';
const ALARMS = { maxErrorRate: 0.05, maxP99LatencyMs: 2000, minInvocations: 20, window: '10 seconds', evaluationInterval: '1 second' };

const log = (m: string) => console.error(m);
const round = (v: number, digits = 3) => Number(v.toFixed(digits));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Sample {
  at: number;
  ms: number;
  status: number;
  variant: string;
}

/**
 * Open-loop load: `rps()` requests per second sent on a ~10 ms tick whether or not earlier ones
 * answered (a slow endpoint cannot slow the offered load down), until stopped.
 */
function openLoop(pool: Pool, rps: () => number, endpoint = ENDPOINT): { samples: Sample[]; stop: () => Promise<void> } {
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let owed = 0;
  const send = (n: number) => {
    const body = n % 2 === 0 ? '0.5,1.5,-0.2' : '0.5,,-0.2';
    const t0 = performance.now();
    const p = pool
      .request({ method: 'POST', path: `/endpoints/${endpoint}/invocations`, headers: { 'content-type': 'text/csv' }, body })
      .then(async (r) => {
        await r.body.text();
        samples.push({ at: Date.now(), ms: performance.now() - t0, status: r.statusCode, variant: String(r.headers['x-amzn-invoked-production-variant'] ?? '') });
      })
      .catch(() => {
        samples.push({ at: Date.now(), ms: performance.now() - t0, status: 0, variant: '' });
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  // Owed by the time that passed, not per tick: a tick the busy machine delays sends what it owes
  // (a per-tick share would quietly offer less than asked).
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    owed += (rps() * (now - last)) / 1000;
    last = now;
    while (owed >= 1) {
      send(sent++);
      owed -= 1;
    }
  }, 10);
  return {
    samples,
    stop: async () => {
      clearInterval(timer);
      await Promise.all([...inFlight]);
    },
  };
}

/**
 * Closed loop: `workers` requests kept in flight back to back on `endpoint` for `ms` (the same
 * client and records as the open loop); answered requests per second after the first second.
 * On shared CPUs this is the capacity of the whole path, load generator included.
 */
async function measureCapacity(pool: Pool, endpoint: string, ms: number, workers = 64): Promise<{ rps: number; failed: number; p99Ms: number; loadAverage: number[] }> {
  const started = performance.now();
  const from = started + 1000;
  const until = started + ms;
  const latencies: number[] = [];
  let failed = 0;
  let n = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < until) {
        const body = n++ % 2 === 0 ? '0.5,1.5,-0.2' : '0.5,,-0.2';
        const t0 = performance.now();
        const ok = await pool
          .request({ method: 'POST', path: `/endpoints/${endpoint}/invocations`, headers: { 'content-type': 'text/csv' }, body })
          .then(async (r) => {
            await r.body.text();
            return r.statusCode === 200;
          })
          .catch(() => false);
        if (t0 < from) continue;
        latencies.push(performance.now() - t0);
        if (!ok) failed++;
      }
    }),
  );
  return { rps: round(latencies.length / ((performance.now() - from) / 1000), 0), failed, p99Ms: round(percentile(latencies, 99)), loadAverage: os.loadavg().map((v) => round(v, 1)) };
}

async function main(): Promise<void> {
  const home = await tempDir('bench-deploy');
  const config = testConfig({ home, portBase: await freePortBase() });
  const backend = createBackend(config);
  const hostUrl = `http://127.0.0.1:${stackPorts(config.portBase).endpointHost}`;
  log(`stack up in ${home}`);
  await stackUp(config, log);
  const { client, connection } = await connectClient(config);
  const pool = new Pool(hostUrl, { connections: 128, pipelining: 1 });
  const checks: Record<string, boolean> = {};
  const figures: Record<string, unknown> = {};
  try {
    const modelsDir = path.join(home, 'models');
    await makeDeploymentModels(modelsDir, { oldRounds: 20, newRounds: 30, maxDepth: 3 });
    // `bad` is the linear model: it refuses the half of the records that carry a missing value.
    for (const [name, dirName, image] of [['old', 'old', 'xgboost'], ['new', 'new', 'xgboost'], ['bad', 'linear', 'linear-learner']] as const) {
      await createDeploymentModel(backend, name, path.join(modelsDir, dirName), image, ENDPOINT);
    }
    await backend.hosting.createEndpointConfig({ endpointConfigName: 'cfg-capacity', endpointName: CAPACITY_ENDPOINT, variants: [{ variantName: 'new', modelName: 'new', instanceType: 'ml.m5.large', instanceCount: MAX_INSTANCES }] });
    await backend.hosting.createEndpoint(ENDPOINT, 'cfg-old');
    for (let i = 0; (await backend.hosting.describeEndpoint(ENDPOINT))?.status !== 'InService'; i++) {
      if (i > 600) throw new Error(`${ENDPOINT} did not come into service`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const queues = taskQueuesOf(config);
    const deploy = (model: string, version: number): Promise<EndpointDeploymentResult> => {
      const input: EndpointDeploymentInput = {
        endpointName: ENDPOINT,
        family: 'xgboost',
        target: { modelName: model, version, endpointConfigName: `cfg-${model}` },
        policy: { type: 'canary', canaryShare: 0.1, canaryBake: '10 seconds', finalBake: '5 seconds' },
        alarms: ALARMS,
        requestedBy: { workflowId: 'bench', kind: 'manual', by: 'bench' },
        taskQueues: queues,
      };
      return client.workflow.execute('endpointDeployment', { taskQueue: queues.orchestration, workflowId: `deployment/${ENDPOINT}/v${version}`, args: [input] }) as Promise<EndpointDeploymentResult>;
    };

    // 0. Baseline: the same load, nothing deployed.
    log(`baseline: ${LOAD_RPS} req/s for 8 s`);
    const warm = openLoop(pool, () => LOAD_RPS);
    await new Promise((r) => setTimeout(r, 8000));
    await warm.stop();
    const baseline = warm.samples.slice(Math.floor(warm.samples.length / 4));
    const baseP99 = percentile(baseline.map((s) => s.ms), 99);
    figures.baseline = { requests: warm.samples.length, failed: warm.samples.filter((s) => s.status !== 200).length, p99Ms: round(baseP99) };
    log(`  ${JSON.stringify(figures.baseline)}`);

    // 1. Good model by canary.
    log(`good canary at ${LOAD_RPS} req/s`);
    const good = openLoop(pool, () => LOAD_RPS);
    const goodResult = await deploy('new', 2);
    await new Promise((r) => setTimeout(r, 1000));
    await good.stop();
    const goodFailed = good.samples.filter((s) => s.status !== 200).length;
    const goodP99 = percentile(good.samples.map((s) => s.ms), 99);
    figures.goodCanary = { outcome: goodResult.outcome, requests: good.samples.length, failed: goodFailed, answeredByNew: good.samples.filter((s) => s.variant === 'new').length, p99Ms: round(goodP99), p99VsBaseline: round(goodP99 / baseP99, 2) };
    log(`  ${JSON.stringify(figures.goodCanary)}`);
    checks.goodCanaryDeployed = goodResult.outcome === 'deployed';
    checks.goodCanaryNoFailure = goodFailed === TARGETS.goodCanaryFailed;

    // 2. Bad model by canary: rolled back.
    log(`bad canary at ${LOAD_RPS} req/s`);
    const bad = openLoop(pool, () => LOAD_RPS);
    const badResult = await deploy('bad', 3);
    await new Promise((r) => setTimeout(r, 1000));
    await bad.stop();
    const byBad = bad.samples.filter((s) => s.variant === 'bad');
    const canaryStart = byBad[0]?.at ?? Number.NaN;
    const canaryEnd = byBad.at(-1)?.at ?? Number.NaN;
    const inWindow = bad.samples.filter((s) => s.at >= canaryStart && s.at <= canaryEnd).length;
    const badFailed = bad.samples.filter((s) => s.status !== 200).length;
    const rollbackS = (canaryEnd - canaryStart) / 1000;
    figures.badCanary = { outcome: badResult.outcome, reason: badResult.reason, canaryRequests: byBad.length, requestsInWindow: inWindow, failed: badFailed, failedShareOfWindow: round(badFailed / Math.max(1, inWindow), 4), rolledBackWithinS: round(rollbackS, 1) };
    log(`  ${JSON.stringify(figures.badCanary)}`);
    checks.badCanaryRolledBack = badResult.outcome === 'rolled-back';
    checks.rollbackWithin15s = rollbackS <= TARGETS.rollbackWithinS;
    checks.badFailedWithinCanaryShare = badFailed <= TARGETS.badFailedShareOfWindowMax * inWindow;

    // 3. Autoscaling under a step load, relative to the capacity measured now (see the docstring).
    await backend.hosting.createEndpoint(CAPACITY_ENDPOINT, 'cfg-capacity');
    for (let i = 0; (await backend.hosting.describeEndpoint(CAPACITY_ENDPOINT))?.status !== 'InService'; i++) {
      if (i > 600) throw new Error(`${CAPACITY_ENDPOINT} did not come into service`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // One process first: the autoscaled variant's rate window must have forgotten this burst (it
    // stays out of the last seconds the scale-out reads) before its policy is registered.
    log(`capacity: closed loop for ${CAPACITY_MS / 1000} s with 1 process, then with ${MAX_INSTANCES}`);
    const capacityOne = await measureCapacity(pool, ENDPOINT, CAPACITY_MS);
    const capacityMax = await measureCapacity(pool, CAPACITY_ENDPOINT, CAPACITY_MS);
    log(`  ${MAX_INSTANCES} processes: ${JSON.stringify(capacityMax)}; 1 process: ${JSON.stringify(capacityOne)}`);
    const lowRps = ABSOLUTE_STEP_RPS === undefined ? Math.round(STEP_SHAPE.low * capacityMax.rps) : 200;
    const highRps = ABSOLUTE_STEP_RPS ?? Math.round(STEP_SHAPE.high * capacityMax.rps);
    const targetPerMinute = Math.round(STEP_SHAPE.targetPerInstanceOfHigh * highRps * 60);
    await backend.autoscaling.register(ENDPOINT, 'new', { minInstances: 1, maxInstances: MAX_INSTANCES, targetInvocationsPerInstancePerMinute: targetPerMinute, scaleOutCooldown: '5 seconds', scaleInCooldown: `${SCALE_IN_COOLDOWN_S} seconds` });
    const instances = async (): Promise<number> => {
      const text = await (await fetch(`${hostUrl}/metrics`)).text();
      return select(parsePrometheusText(text).samples, SERVING_METRICS.instances, { endpoint: ENDPOINT, variant: 'new' })[0]?.value ?? 0;
    };
    let rps = lowRps;
    const step = openLoop(pool, () => rps);
    log(`step: ${lowRps} req/s for 10 s, then ${highRps} req/s for 40 s, then ${lowRps} until scaled in (target ${targetPerMinute} invocations per instance per minute)`);
    await new Promise((r) => setTimeout(r, 10_000));
    const before = await instances();
    rps = highRps;
    const stepAt = Date.now();
    let outAt: number | undefined;
    let most = before;
    while (Date.now() - stepAt < 40_000) {
      await new Promise((r) => setTimeout(r, 500));
      const n = await instances();
      most = Math.max(most, n);
      if (outAt === undefined && n >= TARGETS.scaledOutTo) outAt = Date.now();
    }
    rps = lowRps;
    const dropAt = Date.now();
    let inAt: number | undefined;
    while (Date.now() - dropAt < 60_000) {
      await new Promise((r) => setTimeout(r, 500));
      if ((await instances()) === 1) {
        inAt = Date.now();
        break;
      }
    }
    await step.stop();
    const stepLoadAverage = os.loadavg().map((v) => round(v, 1));
    await backend.autoscaling.deregister(ENDPOINT, 'new');
    const capacityAfter = await measureCapacity(pool, CAPACITY_ENDPOINT, CAPACITY_MS);
    log(`  capacity after the step, ${MAX_INSTANCES} processes: ${JSON.stringify(capacityAfter)}`);
    // p99 per second after the step; back under the bound from the first second it stays under it.
    const perSecond = new Map<number, number[]>();
    for (const s of step.samples) if (s.at >= stepAt && s.at < dropAt) perSecond.set(Math.floor((s.at - stepAt) / 1000), [...(perSecond.get(Math.floor((s.at - stepAt) / 1000)) ?? []), s.ms]);
    const seconds = [...perSecond.keys()].sort((a, b) => a - b);
    const p99s = seconds.map((k) => percentile(perSecond.get(k)!, 99));
    let settledS = Number.NaN;
    for (let i = p99s.length - 1; i >= 0 && p99s[i]! < TARGETS.p99BackUnderMsWithinS.ms; i--) settledS = seconds[i]!;
    const stepFailed = step.samples.filter((s) => s.status !== 200).length;
    const lowP99 = percentile(step.samples.filter((s) => s.at < stepAt).map((s) => s.ms), 99);
    figures.capacity = {
      note: `closed loop, ${MAX_INSTANCES} processes before and after the step, 1 process before; answered req/s on this machine, load generator included`,
      maxProcessesRps: capacityMax.rps,
      oneProcessRps: capacityOne.rps,
      maxProcessesAfterStepRps: capacityAfter.rps,
      afterVsBefore: round(capacityAfter.rps / capacityMax.rps, 2),
      p99Ms: { maxProcesses: capacityMax.p99Ms, oneProcess: capacityOne.p99Ms, maxProcessesAfterStep: capacityAfter.p99Ms },
      failed: capacityMax.failed + capacityOne.failed + capacityAfter.failed,
      loadAverage: { before: capacityMax.loadAverage, step: stepLoadAverage, after: capacityAfter.loadAverage },
      issue18AbsoluteHighRps: 1500,
      issue18AbsoluteHighServable: capacityMax.rps * STEP_SHAPE.high >= 1500,
    };
    figures.step = {
      relativeToCapacity: ABSOLUTE_STEP_RPS === undefined ? STEP_SHAPE : false,
      lowRps,
      highRps,
      targetInvocationsPerInstancePerMinute: targetPerMinute,
      instancesBefore: before,
      mostInstances: most,
      scaledOutToTargetAfterS: outAt === undefined ? null : round((outAt - stepAt) / 1000, 1),
      p99BackUnder50MsAfterS: Number.isNaN(settledS) ? null : settledS,
      p99PerSecondMs: p99s.map((v) => round(v, 1)),
      p99AtLowRpsMs: round(lowP99),
      p99LastTenSecondsVsLowRps: round(percentile(step.samples.filter((s) => s.at >= dropAt - 10_000 && s.at < dropAt).map((s) => s.ms), 99) / lowP99, 2),
      scaledInAfterS: inAt === undefined ? null : round((inAt - dropAt) / 1000, 1),
      requests: step.samples.length,
      failed: stepFailed,
      offeredHighRps: highRps,
      answeredHighRps: round(step.samples.filter((s) => s.at >= dropAt - 10_000 && s.at < dropAt).length / 10, 0),
    };
    log(`  ${JSON.stringify(figures.step)}`);
    checks.scaledOutFrom1To3 = before === 1 && most >= TARGETS.scaledOutTo;
    checks.p99BackUnder50MsWithin30s = !Number.isNaN(settledS) && settledS <= TARGETS.p99BackUnderMsWithinS.s;
    checks.scaledInWithinTwoCooldowns = inAt !== undefined && (inAt - dropAt) / 1000 <= TARGETS.scaleInWithinS;
    checks.stepNoFailure = stepFailed === TARGETS.stepFailed;
  } finally {
    await pool.close();
    await connection.close();
    await stackDown(config, log).catch(() => undefined);
    await fs.rm(home, { recursive: true, force: true });
  }
  const failed = Object.entries(checks)
    .filter(([, ok]) => !ok)
    .map(([name]) => name);
  const pass = failed.length === 0;
  // The machine's load when the run ended: on shared CPUs the step phase measures the machine as much as the autoscaler.
  console.log(JSON.stringify({ bench: 'deploy', loadRps: LOAD_RPS, cpus: os.cpus().length, loadAverage: os.loadavg().map((v) => round(v, 1)), ...figures, targets: TARGETS, checks, failed, pass }));
  if (!pass) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  console.log(JSON.stringify({ bench: 'deploy', error: err instanceof Error ? err.message : String(err), pass: false }));
  process.exit(1);
});
