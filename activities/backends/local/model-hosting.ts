import type { AutoscalingConfig } from '../../../common/types/deployment';
import type { AlgorithmImage, EndpointAutoscaling, EndpointConfigSpec, EndpointDescription, EndpointStatus, ModelHosting } from '../types';
import { HostingError } from '../errors';
import { JsonState } from './json-state';

export interface HostedModel {
  modelName: string;
  image: AlgorithmImage;
  artifactUri: string;
  createdAt: string;
}

/**
 * One endpoint as the control plane wants it (`desiredConfigName`, `desiredWeights`) and as the
 * host reports it; `desiredInstanceCounts` is the autoscaler's (the host's) choice per variant.
 */
export interface EndpointRecord extends EndpointDescription {
  desiredConfigName: string;
  /** UpdateEndpointWeightsAndCapacities since the configuration was set (absent: its initial weights). */
  desiredWeights?: Record<string, number>;
  /** Instances per variant the autoscaler chose (absent: the configuration's count). */
  desiredInstanceCounts?: Record<string, number>;
}

/** A registered scalable target with its target-tracking policy (Application Auto Scaling's, locally). */
export interface ScalableTargetRecord {
  endpointName: string;
  variantName: string;
  policy: AutoscalingConfig;
  registeredAt: string;
}

export interface HostingDocument {
  models: Record<string, HostedModel>;
  endpointConfigs: Record<string, EndpointConfigSpec & { createdAt: string }>;
  endpoints: Record<string, EndpointRecord>;
  /** By resource id `endpoint/<endpoint>/variant/<variant>` (absent in documents written before autoscaling). */
  scalableTargets?: Record<string, ScalableTargetRecord>;
}

export function hostingState(file: string): JsonState<HostingDocument> {
  return new JsonState<HostingDocument>(file, () => ({ models: {}, endpointConfigs: {}, endpoints: {}, scalableTargets: {} }));
}

/** Application Auto Scaling's resource id of a variant. */
export function scalableTargetId(endpointName: string, variantName: string): string {
  return `endpoint/${endpointName}/variant/${variantName}`;
}

/** A variant's weight as a configuration sets it (InitialVariantWeight, default 1). */
export function initialWeight(variant: { initialWeight?: number }): number {
  return variant.initialWeight ?? 1;
}

/**
 * The control plane of local hosting: it records models, endpoint configs and the desired config
 * of each endpoint in one JSON document, and nudges the endpoint host, which starts the model
 * servers, switches traffic and writes the live status back into the same document.
 */
export class LocalModelHosting implements ModelHosting {
  private readonly state: JsonState<HostingDocument>;

  constructor(
    stateFile: string,
    private readonly endpointHostUrl?: string,
  ) {
    this.state = hostingState(stateFile);
  }

  async createModel(spec: { modelName: string; image: AlgorithmImage; artifactUri: string }): Promise<void> {
    await this.state.update((doc) => {
      const existing = doc.models[spec.modelName];
      if (existing && existing.artifactUri !== spec.artifactUri) throw new HostingError(`model ${spec.modelName} already exists with another artifact`, 'Conflict');
      doc.models[spec.modelName] ??= { ...spec, createdAt: new Date().toISOString() };
    });
  }

  async createEndpointConfig(request: EndpointConfigSpec): Promise<{ alreadyExisted: boolean }> {
    // The endpoint a config is made for is the aws backend's tag, not a setting of the config.
    const { endpointName: _endpointName, ...spec } = request;
    return this.state.update((doc) => {
      for (const v of [...spec.variants, ...(spec.shadowVariants ?? [])]) {
        if (!doc.models[v.modelName]) throw new HostingError(`endpoint config ${spec.endpointConfigName}: no model named ${v.modelName}`, 'NotFound');
      }
      const existing = doc.endpointConfigs[spec.endpointConfigName];
      if (existing) {
        const { createdAt: _createdAt, ...rest } = existing;
        if (JSON.stringify(rest) !== JSON.stringify(spec)) throw new HostingError(`endpoint config ${spec.endpointConfigName} already exists with other settings`, 'Conflict');
        return { alreadyExisted: true };
      }
      doc.endpointConfigs[spec.endpointConfigName] = { ...spec, createdAt: new Date().toISOString() };
      return { alreadyExisted: false };
    });
  }

  async describeEndpointConfig(endpointConfigName: string): Promise<EndpointConfigSpec | undefined> {
    const found = (await this.state.read()).endpointConfigs[endpointConfigName];
    if (!found) return undefined;
    const { createdAt: _createdAt, ...spec } = found;
    return spec;
  }

  async createEndpoint(endpointName: string, endpointConfigName: string): Promise<void> {
    await this.setDesired(endpointName, endpointConfigName, 'create');
  }

  async updateEndpoint(endpointName: string, endpointConfigName: string): Promise<void> {
    await this.setDesired(endpointName, endpointConfigName, 'update');
  }

  async updateEndpointWeights(endpointName: string, weights: { variantName: string; weight: number }[]): Promise<void> {
    await this.state.update((doc) => {
      const record = doc.endpoints[endpointName];
      if (!record) throw new HostingError(`no endpoint named ${endpointName}`, 'NotFound');
      const config = doc.endpointConfigs[record.desiredConfigName];
      const names = new Set((config?.variants ?? []).map((v) => v.variantName));
      const seen = new Set<string>();
      for (const w of weights) {
        if (!names.has(w.variantName)) throw new HostingError(`endpoint ${endpointName}: the variant ${w.variantName} is not a production variant of ${record.desiredConfigName}`, 'NotFound');
        if (seen.has(w.variantName)) throw new HostingError(`endpoint ${endpointName}: the variant ${w.variantName} is named twice`, 'Conflict');
        if (!(Number.isFinite(w.weight) && w.weight >= 0)) throw new HostingError(`endpoint ${endpointName}: a weight is a number from 0 (${w.variantName}: ${w.weight})`, 'Conflict');
        seen.add(w.variantName);
      }
      const next = { ...(record.desiredWeights ?? Object.fromEntries((config?.variants ?? []).map((v) => [v.variantName, initialWeight(v)]))) };
      for (const w of weights) next[w.variantName] = w.weight;
      if (Object.values(next).every((w) => w === 0)) throw new HostingError(`endpoint ${endpointName}: at least one production variant needs a weight above 0`, 'Conflict');
      record.desiredWeights = next;
      // As SageMaker: Updating until the host routes by the new weights (it marks InService again).
      if (record.status === 'InService') record.status = 'Updating';
      record.lastModifiedTime = new Date().toISOString();
    });
    await this.nudge();
  }

  async deleteEndpoint(endpointName: string): Promise<void> {
    const existed = await this.state.update((doc) => {
      if (!doc.endpoints[endpointName]) return false;
      delete doc.endpoints[endpointName];
      return true;
    });
    // The host stops the endpoint's model servers when it no longer finds the record.
    if (existed) await this.nudge();
  }

  /** The host also polls the document; the nudge only makes it react at once. */
  private async nudge(): Promise<void> {
    if (this.endpointHostUrl) await fetch(`${this.endpointHostUrl}/admin/reconcile`, { method: 'POST', signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  }

  async describeEndpoint(endpointName: string): Promise<EndpointDescription | undefined> {
    const record = (await this.state.read()).endpoints[endpointName];
    return record ? toDescription(record) : undefined;
  }

  async listEndpoints(): Promise<EndpointDescription[]> {
    return Object.values((await this.state.read()).endpoints).map(toDescription);
  }

  private async setDesired(endpointName: string, configName: string, mode: 'create' | 'update'): Promise<void> {
    await this.state.update((doc) => {
      const config = doc.endpointConfigs[configName];
      if (!config) throw new HostingError(`no endpoint config named ${configName}`, 'NotFound');
      const existing = doc.endpoints[endpointName];
      if (mode === 'create' && existing) throw new HostingError(`endpoint ${endpointName} already exists`, 'Conflict');
      if (mode === 'update' && !existing) throw new HostingError(`no endpoint named ${endpointName}`, 'NotFound');
      const now = new Date().toISOString();
      const status: EndpointStatus = existing ? 'Updating' : 'Creating';
      if (existing && existing.desiredConfigName === configName && existing.status !== 'Failed') return;
      // A new configuration brings its own weights (SageMaker's RetainAllVariantProperties false);
      // the autoscaler's counts stay for the variants it keeps.
      doc.endpoints[endpointName] = {
        endpointName,
        endpointConfigName: existing?.endpointConfigName ?? configName,
        desiredConfigName: configName,
        status,
        variants: existing?.variants ?? config.variants.map((v) => ({ variantName: v.variantName, modelName: v.modelName, currentInstanceCount: 0, desiredInstanceCount: v.instanceCount, currentWeight: 0, desiredWeight: initialWeight(v) })),
        ...(existing?.shadowVariants ? { shadowVariants: existing.shadowVariants } : {}),
        ...(existing?.desiredInstanceCounts ? { desiredInstanceCounts: existing.desiredInstanceCounts } : {}),
        creationTime: existing?.creationTime ?? now,
        lastModifiedTime: now,
      };
    });
    await this.nudge();
  }
}

function toDescription(record: EndpointRecord): EndpointDescription {
  const { desiredConfigName: _desired, desiredWeights: _weights, desiredInstanceCounts: _counts, ...description } = record;
  return description;
}

/**
 * Autoscaling of local endpoints: the registrations live in the hosting document beside the
 * endpoints, and the endpoint host (hosting/endpoint-host/autoscaler.ts) scales the variants
 * that have one.
 */
export class LocalEndpointAutoscaling implements EndpointAutoscaling {
  private readonly state: JsonState<HostingDocument>;

  constructor(stateFile: string) {
    this.state = hostingState(stateFile);
  }

  async register(endpointName: string, variantName: string, policy: AutoscalingConfig): Promise<void> {
    if (!(policy.minInstances >= 1 && policy.maxInstances >= policy.minInstances)) {
      throw new HostingError(`autoscaling of ${endpointName}/${variantName}: minInstances must be at least 1 and at most maxInstances`, 'Conflict');
    }
    await this.state.update((doc) => {
      const targets = (doc.scalableTargets ??= {});
      const id = scalableTargetId(endpointName, variantName);
      const existing = targets[id];
      if (existing && JSON.stringify(existing.policy) === JSON.stringify(policy)) return;
      targets[id] = { endpointName, variantName, policy, registeredAt: new Date().toISOString() };
    });
  }

  async deregister(endpointName: string, variantName: string): Promise<void> {
    await this.state.update((doc) => {
      delete doc.scalableTargets?.[scalableTargetId(endpointName, variantName)];
    });
  }

  async describe(endpointName: string): Promise<{ variantName: string; policy: AutoscalingConfig }[]> {
    const doc = await this.state.read();
    return Object.values(doc.scalableTargets ?? {})
      .filter((t) => t.endpointName === endpointName)
      .map((t) => ({ variantName: t.variantName, policy: t.policy }));
  }
}
