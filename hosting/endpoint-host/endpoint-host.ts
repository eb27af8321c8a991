import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import type { JsonState } from '../../activities/backends/local/json-state';
import { hostingState, type HostingDocument } from '../../activities/backends/local/model-hosting';
import type { LocalObjectStore } from '../../activities/backends/local/object-store';
import { CaptureWriter, type CaptureSettings } from './capture';
import { ModelServer, type InvocationResult } from './model-server';
import { byoCommand } from '../../activities/backends/local/algorithm-images';

export interface EndpointHostOptions {
  home: string;
  python: string;
  algorithmsDir: string;
  store: LocalObjectStore;
  /** `<home>/registry/hosting.json`, shared with the control plane (LocalModelHosting). */
  stateFile: string;
  readyTimeoutMs?: number;
  invocationTimeoutMs?: number;
  log?: (message: string) => void;
}

interface Variant {
  variantName: string;
  modelName: string;
  instances: ModelServer[];
}

interface Deployment {
  configName: string;
  variants: Variant[];
  capture?: CaptureSettings;
}

export type InvokeOutcome =
  | { kind: 'ok'; variantName: string; result: InvocationResult }
  | { kind: 'model-error'; variantName: string; result: InvocationResult }
  | { kind: 'not-found' | 'not-ready'; message: string };

/**
 * The local stand-in for SageMaker hosting: it runs each endpoint's configuration as model-server
 * processes (instance count = processes), routes invocations to the least busy instance, captures
 * them, and moves an endpoint to a new configuration without failing a request: new instances
 * start and pass /ping, traffic switches, then the old ones drain and stop.
 */
export class EndpointHost {
  private readonly live = new Map<string, Deployment>();
  private readonly state: JsonState<HostingDocument>;
  readonly capture: CaptureWriter;
  private reconciling: Promise<void> = Promise.resolve();
  private rerun = false;
  private stopping = false;
  /** Successful invocations answered, per endpoint: counted apart from capture, to check it. */
  readonly served = new Map<string, number>();

  constructor(private readonly options: EndpointHostOptions) {
    this.state = hostingState(options.stateFile);
    this.capture = new CaptureWriter(options.store, { onError: (err) => this.log(`capture write failed (kept for retry): ${String(err)}`) });
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
    for (const [name, record] of Object.entries(doc.endpoints)) {
      const live = this.live.get(name);
      if (live?.configName === record.desiredConfigName) {
        if (record.status !== 'InService' && record.endpointConfigName === record.desiredConfigName) await this.markInService(name, live);
        continue;
      }
      if (record.status === 'Failed' && record.endpointConfigName !== record.desiredConfigName && live) continue; // failed update: keep serving the old one
      await this.deploy(name, record.desiredConfigName, doc);
    }
    for (const [name, deployment] of this.live) {
      if (!doc.endpoints[name]) {
        this.live.delete(name);
        await stopAll(deployment);
      }
    }
  }

  private async deploy(name: string, configName: string, doc: HostingDocument): Promise<void> {
    const config = doc.endpointConfigs[configName];
    const started: ModelServer[] = [];
    try {
      if (!config) throw new Error(`no endpoint config named ${configName}`);
      const variants: Variant[] = [];
      for (const v of config.variants) {
        const model = doc.models[v.modelName];
        if (!model) throw new Error(`no model named ${v.modelName}`);
        const modelDir = path.join(this.options.home, 'endpoints', name, configName, v.variantName, 'model');
        await this.extractModel(model.artifactUri, modelDir);
        const instances = Array.from(
          { length: v.instanceCount },
          (_, i) =>
            new ModelServer({
              python: this.options.python,
              algorithmsDir: this.options.algorithmsDir,
              modelDir,
              label: `${name}/${v.variantName}/${i + 1}`,
              readyTimeoutMs: this.options.readyTimeoutMs ?? 240_000,
              onLog: (line) => this.log(line),
              ...(typeof model.image === 'string' ? {} : { byo: byoCommand(model.image.byo, { python: this.options.python, repoRoot: path.dirname(this.options.algorithmsDir) }, 'serve') }),
            }),
        );
        started.push(...instances);
        await Promise.all(instances.map((s) => s.start()));
        variants.push({ variantName: v.variantName, modelName: v.modelName, instances });
      }
      const previous = this.live.get(name);
      const deployment: Deployment = { configName, variants, ...(config.dataCapture ? { capture: config.dataCapture } : {}) };
      this.live.set(name, deployment); // the switch: new requests go to the new instances from here on
      await this.markInService(name, deployment);
      this.log(`endpoint ${name}: in service with ${configName}`);
      if (previous) void stopAll(previous).then(() => this.log(`endpoint ${name}: drained and stopped ${previous.configName}`));
    } catch (err) {
      await Promise.all(started.map((s) => s.stop(0, 2000)));
      const reason = err instanceof Error ? err.message : String(err);
      this.log(`endpoint ${name}: deployment of ${configName} failed: ${reason}`);
      await this.state.update((d) => {
        const record = d.endpoints[name];
        if (!record || record.desiredConfigName !== configName) return;
        record.status = 'Failed';
        record.failureReason = reason.slice(0, 1024);
        record.lastModifiedTime = new Date().toISOString();
      });
    }
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

  private async markInService(name: string, deployment: Deployment): Promise<void> {
    await this.state.update((d) => {
      const record = d.endpoints[name];
      if (!record) return;
      record.status = record.desiredConfigName === deployment.configName ? 'InService' : record.status;
      record.endpointConfigName = deployment.configName;
      delete record.failureReason;
      record.variants = deployment.variants.map((v) => ({ variantName: v.variantName, modelName: v.modelName, currentInstanceCount: v.instances.filter((i) => !i.exited).length, desiredInstanceCount: v.instances.length }));
      record.lastModifiedTime = new Date().toISOString();
    });
  }

  /** InvokeEndpoint: the least busy live instance of the (single) variant answers. */
  async invoke(endpointName: string, request: { body: Buffer; contentType: string; accept?: string; inferenceId?: string; customAttributes?: string }): Promise<InvokeOutcome> {
    const deployment = this.live.get(endpointName);
    if (!deployment) {
      const known = (await this.state.read()).endpoints[endpointName];
      return known
        ? { kind: 'not-ready', message: `Endpoint ${endpointName} is not ready (status ${known.status})` }
        : { kind: 'not-found', message: `Endpoint ${endpointName} of account 000000000000 not found.` };
    }
    const variant = deployment.variants[0]!;
    const candidates = variant.instances.filter((i) => !i.exited);
    if (candidates.length === 0) return { kind: 'not-ready', message: `Endpoint ${endpointName} has no running instance` };
    let instance = candidates[0]!;
    for (const c of candidates) if (c.busy < instance.busy) instance = c;
    const headers: Record<string, string> = { 'content-type': request.contentType };
    if (request.accept) headers.accept = request.accept;
    if (request.customAttributes) headers['x-amzn-sagemaker-custom-attributes'] = request.customAttributes;
    const time = new Date();
    const result = await instance.invoke(request.body, headers, this.options.invocationTimeoutMs ?? 60_000);
    if (result.statusCode >= 400) return { kind: 'model-error', variantName: variant.variantName, result };
    this.served.set(endpointName, (this.served.get(endpointName) ?? 0) + 1);
    if (CaptureWriter.sampled(deployment.capture)) {
      this.capture.record({
        endpointName,
        variantName: variant.variantName,
        settings: deployment.capture,
        eventId: randomUUID(),
        ...(request.inferenceId ? { inferenceId: request.inferenceId } : {}),
        time,
        request: { contentType: request.contentType, body: request.body },
        response: { contentType: result.contentType, body: result.body },
      });
    }
    return { kind: 'ok', variantName: variant.variantName, result };
  }

  liveView(): { endpointName: string; configName: string; variants: { variantName: string; modelName: string; instances: { port?: number; busy: number; running: boolean }[] }[] }[] {
    return [...this.live.entries()].map(([endpointName, d]) => ({
      endpointName,
      configName: d.configName,
      variants: d.variants.map((v) => ({ variantName: v.variantName, modelName: v.modelName, instances: v.instances.map((i) => ({ ...(i.port ? { port: i.port } : {}), busy: i.busy, running: !i.exited })) })),
    }));
  }

  /** Graceful stop: no new reconciles, in-flight requests finish, capture is flushed, servers stop. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.reconciling;
    await Promise.all([...this.live.values()].map(stopAll));
    this.live.clear();
    await this.capture.close();
  }
}

async function stopAll(deployment: Deployment): Promise<void> {
  await Promise.all(deployment.variants.flatMap((v) => v.instances.map((i) => i.stop())));
}
