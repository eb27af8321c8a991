import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import type { JsonState } from '../../activities/backends/local/json-state';
import { hostingState, initialWeight, scalableTargetId, type EndpointRecord, type HostingDocument, type ScalableTargetRecord } from '../../activities/backends/local/model-hosting';
import type { LocalObjectStore } from '../../activities/backends/local/object-store';
import type { EndpointVariantDescription, EndpointVariantSpec } from '../../activities/backends/types';
import { decideScaling, SCALE_IN_SECONDS, SCALE_OUT_SECONDS, type ScalingHistory } from './autoscaler';
import { CaptureWriter, type CaptureSettings } from './capture';
import { HostMetrics, type VariantGaugeView } from './host-metrics';
import { ModelServer, type InvocationResult } from './model-server';
import { firstPrediction, relativeDifference, shadowCaptureSettings } from './shadow';
import { VariantPool } from './variant-pool';
import { byoCommand } from '../../activities/backends/local/algorithm-images';
import { forkServerFor, type ForkServerRef } from '../../activities/backends/local/python-fork-server';
import type { AlgorithmImage } from '../../activities/backends/types';

export interface EndpointHostOptions {
  home: string;
  python: string;
  algorithmsDir: string;
  /** Model servers as forks of the warm fork server, started with the host (default true; decision 0024). */
  forkServer?: boolean;
  store: LocalObjectStore;
  /** `<home>/registry/hosting.json`, shared with the control plane (LocalModelHosting). */
  stateFile: string;
  readyTimeoutMs?: number;
  invocationTimeoutMs?: number;
  /** How often the autoscaler looks at the variants that have a scaling policy (0: never; default 1000). */
  autoscaleIntervalMs?: number;
  /** Mirrored requests in flight per shadow variant; more are dropped (counted), never queued (default 32). */
  maxShadowInFlight?: number;
  log?: (message: string) => void;
}

interface Deployment {
  configName: string;
  /** Production variants: each answers its weight's share of the requests. */
  pools: VariantPool[];
  /** Shadow variants: each gets its share mirrored, never answers. */
  shadows: VariantPool[];
  weights: Map<string, number>;
  /** Shadow variant -> share of requests mirrored (its weight relative to the production weights). */
  shadowShares: Map<string, number>;
  capture?: CaptureSettings;
}

export type InvokeOutcome =
  | { kind: 'ok'; variantName: string; result: InvocationResult }
  | { kind: 'model-error'; variantName: string; result: InvocationResult }
  | { kind: 'not-found' | 'not-ready'; message: string };

/**
 * The local stand-in for SageMaker hosting: it runs each endpoint's configuration as model-server
 * processes per variant (instance count = processes), routes each invocation to a production
 * variant by weight and there to the least busy instance, mirrors a share to shadow variants,
 * captures, counts (/metrics) and autoscales. An endpoint moves to a new configuration without
 * failing a request: variants the new configuration keeps (same name and model) keep their
 * instances, new ones start and pass /ping, traffic switches, then the old ones drain and stop.
 */
export class EndpointHost {
  private readonly live = new Map<string, Deployment>();
  private readonly state: JsonState<HostingDocument>;
  readonly capture: CaptureWriter;
  readonly metrics: HostMetrics;
  private reconciling: Promise<void> = Promise.resolve();
  private rerun = false;
  private stopping = false;
  /** Scalable targets as last read from the state (resource id -> registration). */
  private targets: Record<string, ScalableTargetRecord> = {};
  private readonly scaling = new Map<string, ScalingHistory>();
  private readonly autoscaleTimer?: NodeJS.Timeout;
  private writes: Promise<void> = Promise.resolve();
  /** Successful invocations answered, per endpoint: counted apart from capture, to check it. */
  readonly served = new Map<string, number>();

  constructor(private readonly options: EndpointHostOptions) {
    this.state = hostingState(options.stateFile);
    this.capture = new CaptureWriter(options.store, { onError: (err) => this.log(`capture write failed (kept for retry): ${String(err)}`) });
    this.metrics = new HostMetrics(() => this.gaugeView());
    const every = options.autoscaleIntervalMs ?? 1000;
    if (every > 0) {
      this.autoscaleTimer = setInterval(() => this.autoscale(), every);
      this.autoscaleTimer.unref();
    }
    // Warm before the first deployment: serving processes start as forks of it (~1.4 s less each).
    this.forkServer();
  }

  private forkServer(): ForkServerRef | undefined {
    return forkServerFor(this.options.python, this.options.forkServer);
  }

  private log(message: string): void {
    this.options.log?.(message);
  }

  /** Brings the running endpoints in line with the desired state; calls are serialised. */
  reconcile(): Promise<void> {
    if (this.rerun) return this.reconciling;
    this.rerun = true;
    this.reconciling = this.reconciling.then(async () => {
      this.rerun = false;
      if (this.stopping) return;
      try {
        await this.reconcileOnce();
      } catch (err) {
        this.log(`reconcile failed: ${String(err)}`);
      }
    });
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    const doc = await this.state.read();
    this.targets = doc.scalableTargets ?? {};
    for (const [name, record] of Object.entries(doc.endpoints)) {
      const live = this.live.get(name);
      if (live?.configName === record.desiredConfigName) {
        this.applyWeights(live, record, doc);
        if (record.status !== 'InService' || record.endpointConfigName !== record.desiredConfigName || described(record) !== JSON.stringify(this.describe(live))) await this.markInService(name, live);
        continue;
      }
      if (record.status === 'Failed' && record.endpointConfigName !== record.desiredConfigName && live) continue; // failed update: keep serving the old one
      await this.deploy(name, record, doc);
    }
    for (const [name, deployment] of this.live) {
      if (!doc.endpoints[name]) {
        this.live.delete(name);
        await stopAll(deployment);
      }
    }
  }

  /** Weights from UpdateEndpointWeightsAndCapacities, else the configuration's initial ones. */
  private applyWeights(deployment: Deployment, record: EndpointRecord, doc: HostingDocument): void {
    const config = doc.endpointConfigs[deployment.configName];
    if (!config) return;
    for (const v of config.variants) deployment.weights.set(v.variantName, record.desiredWeights?.[v.variantName] ?? initialWeight(v));
    const productionTotal = [...deployment.weights.values()].reduce((a, b) => a + b, 0);
    for (const v of config.shadowVariants ?? []) deployment.shadowShares.set(v.variantName, productionTotal > 0 ? Math.min(1, initialWeight(v) / productionTotal) : 0);
  }

  /** Instances a variant starts with: the autoscaler's last count within its bounds, else the configuration's. */
  private instanceCount(endpointName: string, spec: EndpointVariantSpec, record: EndpointRecord): number {
    const target = this.targets[scalableTargetId(endpointName, spec.variantName)];
    if (!target) return spec.instanceCount;
    const chosen = record.desiredInstanceCounts?.[spec.variantName] ?? spec.instanceCount;
    return Math.min(target.policy.maxInstances, Math.max(target.policy.minInstances, chosen));
  }

  private async deploy(name: string, record: EndpointRecord, doc: HostingDocument): Promise<void> {
    const configName = record.desiredConfigName;
    const config = doc.endpointConfigs[configName];
    const previous = this.live.get(name);
    const created: VariantPool[] = [];
    const kept = new Set<VariantPool>();
    try {
      if (!config) throw new Error(`no endpoint config named ${configName}`);
      const pools: VariantPool[] = [];
      const shadows: VariantPool[] = [];
      const wanted = [...config.variants.map((v) => ({ spec: v, role: 'production' as const })), ...(config.shadowVariants ?? []).map((v) => ({ spec: v, role: 'shadow' as const }))];
      for (const { spec, role } of wanted) {
        const model = doc.models[spec.modelName];
        if (!model) throw new Error(`no model named ${spec.modelName}`);
        const into = role === 'production' ? pools : shadows;
        const count = this.instanceCount(name, spec, record);
        // A variant the new configuration keeps (same name, model and role) keeps its instances.
        const same = previous && [...previous.pools, ...previous.shadows].find((p) => p.variantName === spec.variantName && p.modelName === spec.modelName && p.role === role && !kept.has(p));
        if (same) {
          kept.add(same);
          into.push(same);
          if (same.size < count) await same.scaleTo(count);
          continue;
        }
        const modelDir = path.join(this.options.home, 'endpoints', name, configName, spec.variantName, 'model');
        await this.extractModel(model.artifactUri, modelDir);
        const pool = this.newPool(name, spec, role, modelDir, model.image);
        created.push(pool);
        await pool.scaleTo(count);
        into.push(pool);
      }
      const deployment: Deployment = { configName, pools, shadows, weights: new Map(), shadowShares: new Map(), ...(config.dataCapture ? { capture: config.dataCapture } : {}) };
      this.applyWeights(deployment, record, doc);
      this.live.set(name, deployment); // the switch: new requests go by the new configuration from here on
      await this.markInService(name, deployment);
      this.log(`endpoint ${name}: in service with ${configName} (${[...pools, ...shadows].map((p) => `${p.variantName}${p.role === 'shadow' ? ' (shadow)' : ''}: ${p.size}`).join(', ')})`);
      for (const pool of [...pools, ...shadows]) {
        // A kept variant with more instances than the new configuration (and no autoscaling) shrinks after the switch.
        if (kept.has(pool) && !this.targets[scalableTargetId(name, pool.variantName)]) {
          const spec = wanted.find((w) => w.spec.variantName === pool.variantName)!.spec;
          if (pool.size > spec.instanceCount) void pool.scaleTo(spec.instanceCount).catch((err: unknown) => this.log(`endpoint ${name}: ${String(err)}`));
        }
      }
      if (previous) {
        const leaving = [...previous.pools, ...previous.shadows].filter((p) => !kept.has(p));
        void Promise.all(leaving.map((p) => p.stop())).then(() => leaving.length && this.log(`endpoint ${name}: drained and stopped ${leaving.map((p) => p.variantName).join(', ')} of ${previous.configName}`));
      }
    } catch (err) {
      await Promise.all(created.map((p) => p.stop()));
      const reason = err instanceof Error ? err.message : String(err);
      this.log(`endpoint ${name}: deployment of ${configName} failed: ${reason}`);
      await this.state.update((d) => {
        const current = d.endpoints[name];
        if (!current || current.desiredConfigName !== configName) return;
        current.status = 'Failed';
        current.failureReason = reason.slice(0, 1024);
        current.lastModifiedTime = new Date().toISOString();
      });
    }
  }

  private newPool(endpointName: string, spec: EndpointVariantSpec, role: 'production' | 'shadow', modelDir: string, image: AlgorithmImage): VariantPool {
    // A bring-your-own model is served by its own entry point (its `serve`), not the built-in server.
    const byo = typeof image === 'string' ? undefined : byoCommand(image.byo, { python: this.options.python, repoRoot: path.dirname(this.options.algorithmsDir) }, 'serve');
    return new VariantPool({
      variantName: spec.variantName,
      modelName: spec.modelName,
      role,
      log: (m) => this.log(`endpoint ${endpointName}: ${m}`),
      createInstance: (n) =>
        new ModelServer({
          python: this.options.python,
          algorithmsDir: this.options.algorithmsDir,
          forkServer: this.forkServer(),
          modelDir,
          label: `${endpointName}/${spec.variantName}/${n}`,
          readyTimeoutMs: this.options.readyTimeoutMs ?? 240_000,
          onLog: (line) => this.log(line),
          ...(byo ? { byo } : {}),
        }),
    });
  }

  private async extractModel(artifactUri: string, modelDir: string): Promise<void> {
    if (await fs.stat(path.join(modelDir, '.extracted')).then(() => true, () => false)) return;
    const staging = `${modelDir}.tmp-${randomUUID()}`;
    await fs.mkdir(staging, { recursive: true });
    const archive = path.join(staging, 'model.tar.gz');
    await this.options.store.download(artifactUri, archive);
    await tar.extract({ file: archive, cwd: staging, strict: true });
    await fs.rm(archive);
    await fs.writeFile(path.join(staging, '.extracted'), artifactUri);
    await fs.rm(modelDir, { recursive: true, force: true });
    await fs.mkdir(path.dirname(modelDir), { recursive: true });
    await fs.rename(staging, modelDir);
  }

  /** DescribeEndpoint's variants of a live deployment. */
  private describe(deployment: Deployment): { variants: EndpointVariantDescription[]; shadowVariants: EndpointVariantDescription[] } {
    const view = (p: VariantPool, weight: number): EndpointVariantDescription => ({
      variantName: p.variantName,
      modelName: p.modelName,
      currentInstanceCount: p.size,
      desiredInstanceCount: p.target,
      currentWeight: weight,
      desiredWeight: weight,
    });
    return {
      variants: deployment.pools.map((p) => view(p, deployment.weights.get(p.variantName) ?? 0)),
      shadowVariants: deployment.shadows.map((p) => view(p, deployment.shadowShares.get(p.variantName) ?? 0)),
    };
  }

  private async markInService(name: string, deployment: Deployment): Promise<void> {
    const { variants, shadowVariants } = this.describe(deployment);
    await this.state.update((d) => {
      const record = d.endpoints[name];
      if (!record) return;
      const weightsApplied = !record.desiredWeights || Object.entries(record.desiredWeights).every(([v, w]) => deployment.weights.get(v) === w);
      if (record.desiredConfigName === deployment.configName && weightsApplied) record.status = 'InService';
      record.endpointConfigName = deployment.configName;
      delete record.failureReason;
      record.variants = variants;
      if (shadowVariants.length) record.shadowVariants = shadowVariants;
      else delete record.shadowVariants;
      record.lastModifiedTime = new Date().toISOString();
    });
  }

  /** Picks a production variant by weight (one without a running instance is skipped while another has one). */
  private choose(deployment: Deployment): VariantPool | undefined {
    const candidates = deployment.pools.filter((p) => (deployment.weights.get(p.variantName) ?? 0) > 0 && p.size > 0);
    if (candidates.length === 0) return undefined;
    if (candidates.length === 1) return candidates[0];
    const total = candidates.reduce((sum, p) => sum + deployment.weights.get(p.variantName)!, 0);
    let r = Math.random() * total;
    for (const p of candidates) {
      r -= deployment.weights.get(p.variantName)!;
      if (r < 0) return p;
    }
    return candidates[candidates.length - 1];
  }

  /** InvokeEndpoint: a production variant by weight, its least busy instance; a share mirrored to each shadow. */
  async invoke(endpointName: string, request: { body: Buffer; contentType: string; accept?: string; inferenceId?: string; customAttributes?: string }): Promise<InvokeOutcome> {
    const deployment = this.live.get(endpointName);
    if (!deployment) {
      const known = (await this.state.read()).endpoints[endpointName];
      return known
        ? { kind: 'not-ready', message: `Endpoint ${endpointName} is not ready (status ${known.status})` }
        : { kind: 'not-found', message: `Endpoint ${endpointName} of account 000000000000 not found.` };
    }
    const pool = this.choose(deployment);
    const instance = pool?.pick();
    if (!pool || !instance) {
      this.metrics.unanswered({ endpoint: endpointName, variant: pool?.variantName ?? 'none', role: 'production' }, 'NoInstance');
      return { kind: 'not-ready', message: `Endpoint ${endpointName} has no running instance` };
    }
    const labels = { endpoint: endpointName, variant: pool.variantName, role: 'production' as const };
    const headers: Record<string, string> = { 'content-type': request.contentType };
    if (request.accept) headers.accept = request.accept;
    if (request.customAttributes) headers['x-amzn-sagemaker-custom-attributes'] = request.customAttributes;
    const time = new Date();
    const started = process.hrtime.bigint();
    pool.rate.add();
    let result: InvocationResult;
    try {
      result = await instance.invoke(request.body, headers, this.options.invocationTimeoutMs ?? 60_000);
    } catch (err) {
      this.metrics.unanswered(labels, 'InvocationFailed');
      throw err;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics.invoked(labels, seconds);
    if (result.statusCode >= 400) {
      this.metrics.failed(labels, 'ModelError');
      return { kind: 'model-error', variantName: pool.variantName, result };
    }
    this.served.set(endpointName, (this.served.get(endpointName) ?? 0) + 1);
    const inferenceId = request.inferenceId;
    if (CaptureWriter.sampled(deployment.capture)) {
      this.capture.record({
        endpointName,
        variantName: pool.variantName,
        settings: deployment.capture,
        eventId: randomUUID(),
        ...(inferenceId ? { inferenceId } : {}),
        time,
        request: { contentType: request.contentType, body: request.body },
        response: { contentType: result.contentType, body: result.body },
      });
    }
    for (const shadow of deployment.shadows) {
      const share = deployment.shadowShares.get(shadow.variantName) ?? 0;
      if (share > 0 && (share >= 1 || Math.random() < share)) this.mirror(endpointName, deployment, shadow, request, headers, result);
    }
    return { kind: 'ok', variantName: pool.variantName, result };
  }

  /**
   * Sends a copy of an answered request to a shadow variant, after the answer (never delaying it):
   * counts it, compares its prediction with the production one, captures it apart
   * (`<capture destination>-shadow/`, so monitoring never reads mirrored answers as served ones).
   */
  private mirror(endpointName: string, deployment: Deployment, shadow: VariantPool, request: { body: Buffer; contentType: string; inferenceId?: string }, headers: Record<string, string>, production: InvocationResult): void {
    const labels = { endpoint: endpointName, variant: shadow.variantName, role: 'shadow' as const };
    const instance = shadow.pick();
    if (!instance || shadow.mirroring >= (this.options.maxShadowInFlight ?? 32)) {
      this.metrics.shadowDropped(endpointName, shadow.variantName);
      return;
    }
    shadow.mirroring++;
    shadow.rate.add();
    const time = new Date();
    const started = process.hrtime.bigint();
    void instance
      .invoke(request.body, headers, this.options.invocationTimeoutMs ?? 60_000)
      .then((result) => {
        this.metrics.invoked(labels, Number(process.hrtime.bigint() - started) / 1e9);
        if (result.statusCode >= 400) {
          this.metrics.failed(labels, 'ModelError');
          return;
        }
        const ours = firstPrediction(result.body);
        const theirs = firstPrediction(production.body);
        if (ours !== undefined && theirs !== undefined) this.metrics.compared(endpointName, shadow.variantName, relativeDifference(ours, theirs));
        if (CaptureWriter.sampled(deployment.capture)) {
          this.capture.record({
            endpointName,
            variantName: shadow.variantName,
            settings: shadowCaptureSettings(deployment.capture),
            eventId: randomUUID(),
            ...(request.inferenceId ? { inferenceId: request.inferenceId } : {}),
            time,
            request: { contentType: request.contentType, body: request.body },
            response: { contentType: result.contentType, body: result.body },
          });
        }
      })
      .catch(() => this.metrics.unanswered(labels, 'InvocationFailed'))
      .finally(() => shadow.mirroring--);
  }

  /** One pass of target tracking over every variant with a scaling policy. */
  private autoscale(now = Date.now()): void {
    if (this.stopping) return;
    for (const [name, deployment] of this.live) {
      for (const pool of deployment.pools) {
        const key = scalableTargetId(name, pool.variantName);
        const target = this.targets[key];
        if (!target || pool.target !== pool.size) continue; // no policy, or a resize is under way
        const history = this.scaling.get(key) ?? {};
        const recent = pool.rate.range(SCALE_OUT_SECONDS, now);
        const measure = { sustained: recent.lowest * 60, recent: recent.mean * 60, recentPeak: recent.highest * 60, peak: pool.rate.range(SCALE_IN_SECONDS, now).highest * 60 };
        const decision = decideScaling({ policy: target.policy, current: pool.size, measure, now, history });
        if (decision.action === 'none') continue;
        this.scaling.set(key, decision.action === 'scale-out' ? { ...history, lastScaleOutAt: now } : { ...history, lastScaleInAt: now });
        this.log(`endpoint ${name}/${pool.variantName}: ${decision.reason}`);
        void pool.scaleTo(decision.desired).catch((err: unknown) => this.log(`endpoint ${name}/${pool.variantName}: scaling to ${decision.desired} failed: ${String(err)}`));
        this.persistCount(name, pool.variantName, decision.desired);
      }
    }
  }

  /** The autoscaler's count in the hosting state: DescribeEndpoint shows it and a restarted host starts with it. */
  private persistCount(endpointName: string, variantName: string, desired: number): void {
    this.writes = this.writes
      .then(() =>
        this.state.update((d) => {
          const record = d.endpoints[endpointName];
          if (!record) return;
          record.desiredInstanceCounts = { ...record.desiredInstanceCounts, [variantName]: desired };
          const variant = record.variants.find((v) => v.variantName === variantName);
          if (variant) variant.desiredInstanceCount = desired;
        }),
      )
      .catch((err: unknown) => this.log(`recording the instance count of ${endpointName}/${variantName} failed: ${String(err)}`));
  }

  private gaugeView(now = Date.now()): VariantGaugeView[] {
    const out: VariantGaugeView[] = [];
    for (const [endpoint, d] of this.live) {
      for (const p of [...d.pools, ...d.shadows]) {
        const size = p.size;
        out.push({
          endpoint,
          variant: p.variantName,
          role: p.role,
          instances: size,
          desired: p.target,
          weight: p.role === 'production' ? (d.weights.get(p.variantName) ?? 0) : (d.shadowShares.get(p.variantName) ?? 0),
          invocationsPerInstancePerMinute: size > 0 ? (p.rate.perSecond(now) * 60) / size : 0,
        });
      }
    }
    return out;
  }

  liveView(): { endpointName: string; configName: string; variants: { variantName: string; modelName: string; role: 'production' | 'shadow'; weight: number; instances: { port?: number; busy: number; running: boolean }[] }[] }[] {
    return [...this.live.entries()].map(([endpointName, d]) => ({
      endpointName,
      configName: d.configName,
      variants: [...d.pools, ...d.shadows].map((p) => ({
        variantName: p.variantName,
        modelName: p.modelName,
        role: p.role,
        weight: p.role === 'production' ? (d.weights.get(p.variantName) ?? 0) : (d.shadowShares.get(p.variantName) ?? 0),
        instances: p.view(),
      })),
    }));
  }

  /** Graceful stop: no new reconciles, in-flight requests finish, capture is flushed, servers stop. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.autoscaleTimer) clearInterval(this.autoscaleTimer);
    await this.reconciling;
    await Promise.all([...this.live.values()].map(stopAll));
    this.live.clear();
    await this.writes;
    await this.capture.close();
  }
}

function described(record: EndpointRecord): string {
  return JSON.stringify({ variants: record.variants, shadowVariants: record.shadowVariants ?? [] });
}

async function stopAll(deployment: Deployment): Promise<void> {
  await Promise.all([...deployment.pools, ...deployment.shadows].map((p) => p.stop()));
}
