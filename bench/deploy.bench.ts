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
 *    processes and p99 is back under 50 ms within 30 s and stays under until the load drops (read
 *    as a p99 latency alarm reads it: over the last 10 s, every second; the per-second p99, its
 *    own settling second and the seconds over 50 ms after settling are reported beside it); after
 *    the load drops it scales back in within two scale-in cool-downs; 0 failed requests throughout.
 *
 * The step is issue 18's 200 -> 1,500 req/s when the path can answer it. Just before the step the
 * bench measures the capacity of this path (closed loop, the same client; the load generator, the
 * Node host and the Python servers share the 2 CPUs) with one process and with the variant's
 * maximum. When 1,500 req/s is at most 0.7x of the latter, the step is the issue's; on a machine
 * that answers less it steps from 0.1x to 0.7x of it instead (the issue's ratio at a load the stack
 * can answer: an absolute step past the capacity queues in the client, p99 never comes back and
 * the bench would measure the machine, not the autoscaler; decision 0020). The target per instance
 * is 0.4x of the high load either way (ceil(1 / 0.4) = 3 processes; the low load needs 1).
 * BENCH_DEPLOY_STEP=relative forces the relative step (0.7x of capacity is ~2,000-2,600 req/s here,
 * a harder test than the issue's), BENCH_DEPLOY_STEP_RPS=<n> an absolute 200 -> n. The capacity is
 * measured again after the step (an interleaved baseline: it shows how much the machine drifted)
 * and both are reported in req/s with the load average.
 * The load comes from a thread of its own with a small heap (bench/lib/load-generator.ts): run on
 * the bench's main heap, its major garbage collections (every ~12 s under the step's load) stalled
 * the client and took the CPUs from the stack, and showed as single-second p99 spikes the stack
 * did not cause. Beside the bench's own per-second p99 the step reports the host's model latency
 * p99 per second from /metrics (`serverP99PerSecondMs`): the two together tell a stall of the
 * load generator from one of the stack.
 * Progress goes to stderr; the last stdout line is one JSON object; exit 1 when a target is missed.
 */
import '../test/helpers/setup';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBackend } from '../activities/backends';
import { histogramOf, parsePrometheusText, select } from '../activities/backends/prometheus-text';
import type { HistogramCounts } from '../activities/backends/types';
import { stackDown, stackUp } from '../client/stack/stack';
import { connectClient } from '../client/temporal';
import { taskQueuesOf } from '../common/config/parse';
import { stackPorts } from '../common/config/schema';
import { SERVING_METRICS } from '../common/serving-metrics';
import type { EndpointDeploymentInput, EndpointDeploymentResult } from '../common/types/deployment';
import { freePortBase, tempDir, testConfig } from '../test/helpers/integration';
import { createDeploymentModel, makeDeploymentModels } from '../test/helpers/deployment-models';
import { histogramIncrease, quantile } from '../workflows/deployment/alarms';
import { LoadGenerator } from './lib/load-generator';
import { cpuShares, MachineCpu, type CpuReading } from './lib/machine-cpu';

const LOAD_RPS = Number(process.env.BENCH_DEPLOY_RPS ?? 500);
/** An absolute step 200 -> n req/s instead of issue 18's (or the relative one). */
const ABSOLUTE_STEP_RPS = process.env.BENCH_DEPLOY_STEP_RPS ? Number(process.env.BENCH_DEPLOY_STEP_RPS) : undefined;
const FORCE_RELATIVE_STEP = process.env.BENCH_DEPLOY_STEP === 'relative';
/** Issue 18's step, req/s. */
const ISSUE_STEP = { low: 200, high: 1500 };
/** The relative step's low and high load as shares of the capacity with MAX_INSTANCES processes, and the target per instance as a share of the high load (both steps). */
const STEP_SHAPE = { low: 0.1, high: 0.7, targetPerInstanceOfHigh: 0.4 };
const MAX_INSTANCES = 4;
const SCALE_IN_COOLDOWN_S = 10;
const CAPACITY_MS = 8000;
const TARGETS = { goodCanaryFailed: 0, rollbackWithinS: 15, badFailedShareOfWindowMax: 0.1, scaledOutTo: 3, p99BackUnderMsWithinS: { ms: 50, s: 30 }, scaleInWithinS: 2 * SCALE_IN_COOLDOWN_S, stepFailed: 0 };
const ENDPOINT = 'bench-deploy';
/** The same model with MAX_INSTANCES processes, for the capacity the step is relative to. */
const CAPACITY_ENDPOINT = 'bench-capacity';
const ALARMS = { maxErrorRate: 0.05, maxP99LatencyMs: 2000, minInvocations: 20, window: '10 seconds', evaluationInterval: '1 second' };
/** How the step's p99 target is read: over a window, every interval, as a p99 latency alarm reads it (decision 0020, fourth pass). */
const P99_TARGET_READING = { windowS: 10, everyS: 1 };

const log = (m: string) => console.error(m);
const round = (v: number, digits = 3) => Number(v.toFixed(digits));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * The p99 of the host's model latency between the last /metrics reading at or before `from` and
 * the first at or after `to`, ms (undefined when no reading covers the window or nothing was answered).
 */
function serverP99Ms(readings: { at: number; latency: HistogramCounts }[], from: number, to: number): number | undefined {
  const before = readings.filter((r) => r.at <= from).at(-1);
  const after = readings.find((r) => r.at >= to);
  if (!before || !after || before.latency.bounds.join() !== after.latency.bounds.join()) return undefined;
  const q = quantile(histogramIncrease(before.latency, after.latency, false), 0.99);
  return q === undefined ? undefined : q * 1000;
}

/** The share of all CPUs used outside the bench's process tree between the readings around [from, to). */
function outsideCpuShare(readings: { at: number; cpu?: CpuReading }[], from: number, to: number): number | undefined {
  const before = readings.filter((r) => r.at <= from).at(-1)?.cpu;
  const after = readings.find((r) => r.at >= to)?.cpu;
  return before && after ? cpuShares(before, after, os.cpus().length).outside : undefined;
}

/**
 * Closed loop: `workers` requests kept in flight back to back on `endpoint` for `ms` (the same
 * client and records as the open loop); answered requests per second after the first second.
 * On shared CPUs this is the capacity of the whole path, load generator included.
 */
async function measureCapacity(load: LoadGenerator, endpoint: string, ms: number, workers = 64): Promise<{ rps: number; failed: number; p99Ms: number; loadAverage: number[] }> {
  const { latencies, failed, seconds } = await load.closedLoop(endpoint, ms, workers);
  return { rps: round(latencies.length / seconds, 0), failed, p99Ms: round(percentile(latencies, 99)), loadAverage: os.loadavg().map((v) => round(v, 1)) };
}

async function main(): Promise<void> {
  const home = await tempDir('bench-deploy');
  const config = testConfig({ home, portBase: await freePortBase() });
  const backend = createBackend(config);
  const hostUrl = `http://127.0.0.1:${stackPorts(config.portBase).endpointHost}`;
  log(`stack up in ${home}`);
  await stackUp(config, log);
  const { client, connection } = await connectClient(config);
  const load = new LoadGenerator(hostUrl, { connections: 128 });
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
    const warm = await load.openLoop(ENDPOINT, LOAD_RPS);
    await new Promise((r) => setTimeout(r, 8000));
    const warmed = await warm.stop();
    const baseline = warmed.slice(Math.floor(warmed.length / 4));
    const baseP99 = percentile(baseline.map((s) => s.ms), 99);
    figures.baseline = { requests: warmed.length, failed: warmed.filter((s) => s.status !== 200).length, p99Ms: round(baseP99) };
    log(`  ${JSON.stringify(figures.baseline)}`);

    // 1. Good model by canary.
    log(`good canary at ${LOAD_RPS} req/s`);
    const good = await load.openLoop(ENDPOINT, LOAD_RPS);
    const goodResult = await deploy('new', 2);
    await new Promise((r) => setTimeout(r, 1000));
    const goodSamples = await good.stop();
    const goodFailed = goodSamples.filter((s) => s.status !== 200).length;
    const goodP99 = percentile(goodSamples.map((s) => s.ms), 99);
    figures.goodCanary = { outcome: goodResult.outcome, requests: goodSamples.length, failed: goodFailed, answeredByNew: goodSamples.filter((s) => s.variant === 'new').length, p99Ms: round(goodP99), p99VsBaseline: round(goodP99 / baseP99, 2) };
    log(`  ${JSON.stringify(figures.goodCanary)}`);
    checks.goodCanaryDeployed = goodResult.outcome === 'deployed';
    checks.goodCanaryNoFailure = goodFailed === TARGETS.goodCanaryFailed;

    // 2. Bad model by canary: rolled back.
    log(`bad canary at ${LOAD_RPS} req/s`);
    const bad = await load.openLoop(ENDPOINT, LOAD_RPS);
    const badResult = await deploy('bad', 3);
    await new Promise((r) => setTimeout(r, 1000));
    const badSamples = await bad.stop();
    const byBad = badSamples.filter((s) => s.variant === 'bad');
    const canaryStart = byBad[0]?.at ?? Number.NaN;
    const canaryEnd = byBad.at(-1)?.at ?? Number.NaN;
    const inWindow = badSamples.filter((s) => s.at >= canaryStart && s.at <= canaryEnd).length;
    const badFailed = badSamples.filter((s) => s.status !== 200).length;
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
    const capacityOne = await measureCapacity(load, ENDPOINT, CAPACITY_MS);
    const capacityMax = await measureCapacity(load, CAPACITY_ENDPOINT, CAPACITY_MS);
    log(`  ${MAX_INSTANCES} processes: ${JSON.stringify(capacityMax)}; 1 process: ${JSON.stringify(capacityOne)}`);
    const relativeStep = { low: Math.round(STEP_SHAPE.low * capacityMax.rps), high: Math.round(STEP_SHAPE.high * capacityMax.rps) };
    const stepMode = ABSOLUTE_STEP_RPS !== undefined ? 'absolute' : FORCE_RELATIVE_STEP || relativeStep.high < ISSUE_STEP.high ? 'relative' : 'issue';
    const { low: lowRps, high: highRps } = stepMode === 'absolute' ? { low: ISSUE_STEP.low, high: ABSOLUTE_STEP_RPS! } : stepMode === 'issue' ? ISSUE_STEP : relativeStep;
    const targetPerMinute = Math.round(STEP_SHAPE.targetPerInstanceOfHigh * highRps * 60);
    await backend.autoscaling.register(ENDPOINT, 'new', { minInstances: 1, maxInstances: MAX_INSTANCES, targetInvocationsPerInstancePerMinute: targetPerMinute, scaleOutCooldown: '5 seconds', scaleInCooldown: `${SCALE_IN_COOLDOWN_S} seconds` });
    // Each /metrics reading of the step is kept: the model latency the host measured (host -> model
    // server -> host) per second, beside the bench's own round trips, tells a stall of the load
    // generator from one of the stack.
    // With them, the CPU the machine spent outside the bench and its stack (other tenants of shared CPUs).
    const readings: { at: number; latency: HistogramCounts; cpu?: CpuReading }[] = [];
    const machine = MachineCpu.create();
    const instances = async (): Promise<number> => {
      const text = await (await fetch(`${hostUrl}/metrics`)).text();
      // Only the lines read here are parsed: the bench's main heap is large, and what it allocates while the load runs it collects on the stack's CPUs.
      const lines = text.split('\n').filter((l) => (l.startsWith(SERVING_METRICS.instances) || l.startsWith(SERVING_METRICS.modelLatency)) && l.includes(`endpoint="${ENDPOINT}"`));
      const samples = parsePrometheusText(lines.join('\n')).samples;
      const cpu = machine?.read();
      readings.push({ at: Date.now(), latency: histogramOf(samples, SERVING_METRICS.modelLatency, { endpoint: ENDPOINT, variant: 'new', role: 'production' }), ...(cpu ? { cpu } : {}) });
      return select(samples, SERVING_METRICS.instances, { endpoint: ENDPOINT, variant: 'new' })[0]?.value ?? 0;
    };
    const step = await load.openLoop(ENDPOINT, lowRps);
    log(`step: ${lowRps} req/s for 10 s, then ${highRps} req/s for 40 s, then ${lowRps} until scaled in (target ${targetPerMinute} invocations per instance per minute)`);
    await new Promise((r) => setTimeout(r, 10_000));
    const before = await instances();
    step.setRate(highRps);
    const stepAt = Date.now();
    let outAt: number | undefined;
    let most = before;
    while (Date.now() - stepAt < 40_000) {
      await new Promise((r) => setTimeout(r, 500));
      const n = await instances();
      most = Math.max(most, n);
      if (outAt === undefined && n >= TARGETS.scaledOutTo) outAt = Date.now();
    }
    step.setRate(lowRps);
    const dropAt = Date.now();
    let inAt: number | undefined;
    while (Date.now() - dropAt < 60_000) {
      await new Promise((r) => setTimeout(r, 500));
      if ((await instances()) === 1) {
        inAt = Date.now();
        break;
      }
    }
    const stepSamples = await step.stop();
    const stepLoadAverage = os.loadavg().map((v) => round(v, 1));
    await backend.autoscaling.deregister(ENDPOINT, 'new');
    const capacityAfter = await measureCapacity(load, CAPACITY_ENDPOINT, CAPACITY_MS);
    log(`  capacity after the step, ${MAX_INSTANCES} processes: ${JSON.stringify(capacityAfter)}`);
    // p99 per second after the step; back under the bound from the first second it stays under it.
    const perSecond = new Map<number, number[]>();
    for (const s of stepSamples) {
      if (s.at < stepAt || s.at >= dropAt) continue;
      const k = Math.floor((s.at - stepAt) / 1000);
      const list = perSecond.get(k);
      if (list) list.push(s.ms);
      else perSecond.set(k, [s.ms]);
    }
    const seconds = [...perSecond.keys()].sort((a, b) => a - b);
    const p99s = seconds.map((k) => percentile(perSecond.get(k)!, 99));
    const serverP99s = seconds.map((k) => serverP99Ms(readings, stepAt + k * 1000, stepAt + (k + 1) * 1000));
    const outside = seconds.map((k) => outsideCpuShare(readings, stepAt + k * 1000, stepAt + (k + 1) * 1000));
    let settledS = Number.NaN;
    for (let i = p99s.length - 1; i >= 0 && p99s[i]! < TARGETS.p99BackUnderMsWithinS.ms; i--) settledS = seconds[i]!;
    // The target's p99 is read as a p99 latency alarm reads it: over a window, every interval.
    // Windows of whole seconds of the per-second grouping above, ending at most at the drop.
    const { windowS, everyS } = P99_TARGET_READING;
    const lastS = Math.floor((dropAt - stepAt) / 1000);
    const windowP99s: { atS: number; ms: number }[] = [];
    for (let atS = windowS; atS <= lastS; atS += everyS) {
      windowP99s.push({ atS, ms: percentile(seconds.filter((k) => k >= atS - windowS && k < atS).flatMap((k) => perSecond.get(k)!), 99) });
    }
    // NaN (an empty window) is not under the bound: it ends the settled stretch.
    let windowSettledS = Number.NaN;
    for (let i = windowP99s.length - 1; i >= 0 && windowP99s[i]!.ms < TARGETS.p99BackUnderMsWithinS.ms; i--) windowSettledS = windowP99s[i]!.atS;
    // The per-second readings over the bound inside the settled windows (from the first one's start).
    const settledFromS = windowSettledS - windowS;
    const secondsOverAfterSettling = Number.isNaN(windowSettledS) ? [] : p99s.filter((v, i) => seconds[i]! >= settledFromS && v >= TARGETS.p99BackUnderMsWithinS.ms);
    const stepFailed = stepSamples.filter((s) => s.status !== 200).length;
    const lowP99 = percentile(stepSamples.filter((s) => s.at < stepAt).map((s) => s.ms), 99);
    figures.capacity = {
      note: `closed loop, ${MAX_INSTANCES} processes before and after the step, 1 process before; answered req/s on this machine, load generator included`,
      maxProcessesRps: capacityMax.rps,
      oneProcessRps: capacityOne.rps,
      maxProcessesAfterStepRps: capacityAfter.rps,
      afterVsBefore: round(capacityAfter.rps / capacityMax.rps, 2),
      p99Ms: { maxProcesses: capacityMax.p99Ms, oneProcess: capacityOne.p99Ms, maxProcessesAfterStep: capacityAfter.p99Ms },
      failed: capacityMax.failed + capacityOne.failed + capacityAfter.failed,
      loadAverage: { before: capacityMax.loadAverage, step: stepLoadAverage, after: capacityAfter.loadAverage },
      issue18AbsoluteHighRps: ISSUE_STEP.high,
      issue18AbsoluteHighServable: relativeStep.high >= ISSUE_STEP.high,
    };
    figures.step = {
      mode: stepMode,
      modeNote: "issue: issue 18's 200 -> 1,500 req/s (the path answers >= 1,500 / 0.7 req/s with 4 processes); relative: 0.1x -> 0.7x of that capacity (BENCH_DEPLOY_STEP=relative, or a machine that answers less); absolute: 200 -> BENCH_DEPLOY_STEP_RPS",
      relativeShape: STEP_SHAPE,
      lowRps,
      highRps,
      targetInvocationsPerInstancePerMinute: targetPerMinute,
      instancesBefore: before,
      mostInstances: most,
      scaledOutToTargetAfterS: outAt === undefined ? null : round((outAt - stepAt) / 1000, 1),
      p99WindowBackUnder50MsAfterS: Number.isNaN(windowSettledS) ? null : windowSettledS,
      p99WindowMs: windowP99s.map((w) => (Number.isNaN(w.ms) ? null : round(w.ms, 1))),
      p99WindowNote: `the target's reading: p99 over the last ${windowS} s, every ${everyS} s from ${windowS} s after the step until the drop (null: no answer in the window); back under 50 ms after S: from the first reading that and every later one stay under`,
      p99PerSecondBackUnder50MsAfterS: Number.isNaN(settledS) ? null : settledS,
      p99PerSecondMs: p99s.map((v) => round(v, 1)),
      p99PerSecondOver50MsInSettledWindows: { count: secondsOverAfterSettling.length, maxMs: secondsOverAfterSettling.length ? round(Math.max(...secondsOverAfterSettling), 1) : null },
      serverP99PerSecondMs: serverP99s.map((v) => (v === undefined ? null : round(v, 1))),
      cpuOutsideStackPerSecond: machine ? outside.map((v) => (v === undefined ? null : round(v, 2))) : 'unavailable (no /proc)',
      cpuOutsideStackNote: 'share of all CPUs used by processes outside the bench and the stack it started, over the same windows as serverP99PerSecondMs',
      serverP99Note: "the host's model latency (host -> model server -> host) from /metrics, over the readings around each second (about 1-1.5 s, interpolated in buckets: 30, 50, 75 ms)",
      p99AtLowRpsMs: round(lowP99),
      p99LastTenSecondsVsLowRps: round(percentile(stepSamples.filter((s) => s.at >= dropAt - 10_000 && s.at < dropAt).map((s) => s.ms), 99) / lowP99, 2),
      scaledInAfterS: inAt === undefined ? null : round((inAt - dropAt) / 1000, 1),
      requests: stepSamples.length,
      failed: stepFailed,
      offeredHighRps: highRps,
      answeredHighRps: round(stepSamples.filter((s) => s.at >= dropAt - 10_000 && s.at < dropAt).length / 10, 0),
    };
    log(`  ${JSON.stringify(figures.step)}`);
    checks.scaledOutFrom1To3 = before === 1 && most >= TARGETS.scaledOutTo;
    checks.p99BackUnder50MsWithin30s = !Number.isNaN(windowSettledS) && windowSettledS <= TARGETS.p99BackUnderMsWithinS.s;
    checks.scaledInWithinTwoCooldowns = inAt !== undefined && (inAt - dropAt) / 1000 <= TARGETS.scaleInWithinS;
    checks.stepNoFailure = stepFailed === TARGETS.stepFailed;
  } finally {
    await load.close();
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
