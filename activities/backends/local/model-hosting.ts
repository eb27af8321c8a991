import type { AlgorithmImage, EndpointConfigSpec, EndpointDescription, EndpointStatus, ModelHosting } from '../types';
import { HostingError } from '../errors';
import { JsonState } from './json-state';

export interface HostedModel {
  modelName: string;
  image: AlgorithmImage;
  artifactUri: string;
  createdAt: string;
}

/** One endpoint as the control plane wants it (`desiredConfigName`) and as the host reports it. */
export interface EndpointRecord extends EndpointDescription {
  desiredConfigName: string;
}

export interface HostingDocument {
  models: Record<string, HostedModel>;
  endpointConfigs: Record<string, EndpointConfigSpec & { createdAt: string }>;
  endpoints: Record<string, EndpointRecord>;
}

export function hostingState(file: string): JsonState<HostingDocument> {
  return new JsonState<HostingDocument>(file, () => ({ models: {}, endpointConfigs: {}, endpoints: {} }));
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
      for (const v of spec.variants) {
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

  async createEndpoint(endpointName: string, endpointConfigName: string): Promise<void> {
    await this.setDesired(endpointName, endpointConfigName, 'create');
  }

  async updateEndpoint(endpointName: string, endpointConfigName: string): Promise<void> {
    await this.setDesired(endpointName, endpointConfigName, 'update');
  }

  async deleteEndpoint(endpointName: string): Promise<void> {
    const existed = await this.state.update((doc) => {
      if (!doc.endpoints[endpointName]) return false;
      delete doc.endpoints[endpointName];
      return true;
    });
    // The host stops the endpoint's model servers when it no longer finds the record.
    if (existed && this.endpointHostUrl) await fetch(`${this.endpointHostUrl}/admin/reconcile`, { method: 'POST', signal: AbortSignal.timeout(2000) }).catch(() => undefined);
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
      doc.endpoints[endpointName] = {
        endpointName,
        endpointConfigName: existing?.endpointConfigName ?? configName,
        desiredConfigName: configName,
        status,
        variants: existing?.variants ?? config.variants.map((v) => ({ variantName: v.variantName, modelName: v.modelName, currentInstanceCount: 0, desiredInstanceCount: v.instanceCount })),
        creationTime: existing?.creationTime ?? now,
        lastModifiedTime: now,
      };
    });
    // The host also polls the document; the nudge only makes it react at once.
    if (this.endpointHostUrl) await fetch(`${this.endpointHostUrl}/admin/reconcile`, { method: 'POST', signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  }
}

function toDescription(record: EndpointRecord): EndpointDescription {
  const { desiredConfigName: _desired, ...description } = record;
  return description;
}
