import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  ListEndpointConfigsCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointsCommand,
  ListTagsCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
  type ProductionVariant,
  type ProductionVariantSummary,
  type CaptureMode,
  type DescribeEndpointConfigCommandOutput,
  type DescribeEndpointCommandOutput,
  type ProductionVariantInstanceType,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { HostingError } from '../errors';
import type { AlgorithmImage, EndpointConfigSpec, EndpointDescription, EndpointStatus, EndpointVariantDescription, EndpointVariantSpec, ModelHosting } from '../types';
import { call, isAlreadyExists, isErrorNamed, isSageMakerNotFound, toActivityError } from './aws-errors';
import { tagList, withKey, type AwsControls } from './controls';
import type { AwsImages } from './images';
import { describeEndpointIfAny } from './describe-endpoint';
import { modelRequest } from './job-requests';

/** The project's endpoints are `<prefix>-<family>` (common/ids.ts), tagged when created. */
const PROJECT_ENDPOINT = /-(xgboost|linear-learner)$/;
export const MANAGED_TAG = { Key: 'mlops:managed-by', Value: 'temporal-mlops' };
/** The endpoint an endpoint config was made for. */
const ENDPOINT_TAG = 'mlops:endpoint';
/** Endpoint configs the training pipeline names `endpoint-config-<family>-<hash>`. */
const PROJECT_CONFIG = /^endpoint-config-(xgboost|linear-learner)-[a-z0-9]+$/;

/**
 * SageMaker hosting: CreateModel, CreateEndpointConfig (with DataCaptureConfig), CreateEndpoint /
 * UpdateEndpoint. SageMaker refuses to create a name twice; here, as locally, a create with the
 * same settings is a no-op and one with other settings is a Conflict (HostingError).
 */
export class AwsModelHosting implements ModelHosting {
  /** Endpoint configs cannot change once created: their descriptions are cached. */
  private readonly configs = new Map<string, EndpointConfigSpec>();

  constructor(
    private readonly sagemaker: SageMakerClient,
    private readonly options: {
      roleArn: string;
      images: AwsImages;
      controls?: AwsControls;
      /** Endpoint configs kept per family after a deployment (default 3). */
      keepEndpointConfigs?: number;
    },
  ) {}

  private get controls(): AwsControls {
    return this.options.controls ?? {};
  }

  async createModel(spec: { modelName: string; image: AlgorithmImage; artifactUri: string }): Promise<void> {
    const existing = await this.describeModelArtifact(spec.modelName);
    if (existing !== undefined) {
      if (existing !== spec.artifactUri) throw new HostingError(`model ${spec.modelName} already exists with another artifact`, 'Conflict');
      return;
    }
    try {
      await this.sagemaker.send(new CreateModelCommand(modelRequest(spec.modelName, spec.image, spec.artifactUri, { roleArn: this.options.roleArn, images: this.options.images, controls: this.controls })));
    } catch (err) {
      if (isAlreadyExists(err) && (await this.describeModelArtifact(spec.modelName)) === spec.artifactUri) return;
      throw toActivityError(err, `SageMaker CreateModel ${spec.modelName}`);
    }
  }

  async createEndpointConfig(spec: EndpointConfigSpec): Promise<{ alreadyExisted: boolean }> {
    // CreateEndpointConfig: with ShadowProductionVariants, exactly one production and one shadow variant.
    if (spec.shadowVariants?.length && (spec.variants.length !== 1 || spec.shadowVariants.length !== 1)) {
      throw new HostingError(`endpoint config ${spec.endpointConfigName}: SageMaker hosts a shadow beside exactly one production variant (got ${spec.variants.length} production and ${spec.shadowVariants.length} shadow variants)`, 'Conflict');
    }
    for (const v of [...spec.variants, ...(spec.shadowVariants ?? [])]) {
      if ((await this.describeModelArtifact(v.modelName)) === undefined) throw new HostingError(`endpoint config ${spec.endpointConfigName}: no model named ${v.modelName}`, 'NotFound');
    }
    const compare = (existing: EndpointConfigSpec): { alreadyExisted: boolean } => {
      if (JSON.stringify(normalize(existing)) !== JSON.stringify(normalize(spec))) {
        throw new HostingError(`endpoint config ${spec.endpointConfigName} already exists with other settings`, 'Conflict');
      }
      return { alreadyExisted: true };
    };
    const existing = await this.describeConfig(spec.endpointConfigName);
    if (existing) return compare(existing);
    try {
      await this.sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: spec.endpointConfigName,
          ProductionVariants: spec.variants.map(productionVariant),
          ...(spec.shadowVariants?.length ? { ShadowProductionVariants: spec.shadowVariants.map(productionVariant) } : {}),
          ...withKey('KmsKeyId', this.controls.volumeKmsKeyId),
          Tags: [...tagList(this.controls, spec.endpointName ? { [ENDPOINT_TAG]: spec.endpointName } : {}), MANAGED_TAG],
          ...(spec.dataCapture
            ? {
                DataCaptureConfig: {
                  EnableCapture: spec.dataCapture.enableCapture,
                  InitialSamplingPercentage: spec.dataCapture.initialSamplingPercentage,
                  DestinationS3Uri: spec.dataCapture.destinationS3Uri,
                  CaptureOptions: spec.dataCapture.captureModes.map((mode) => ({ CaptureMode: mode as CaptureMode })),
                  CaptureContentTypeHeader: { CsvContentTypes: spec.dataCapture.csvContentTypes, JsonContentTypes: spec.dataCapture.jsonContentTypes },
                  ...withKey('KmsKeyId', this.controls.outputKmsKeyId),
                },
              }
            : {}),
        }),
      );
    } catch (err) {
      if (isAlreadyExists(err)) {
        const raced = await this.describeConfig(spec.endpointConfigName);
        if (raced) return compare(raced);
      }
      throw toActivityError(err, `SageMaker CreateEndpointConfig ${spec.endpointConfigName}`);
    }
    return { alreadyExisted: false };
  }

  describeEndpointConfig(endpointConfigName: string): Promise<EndpointConfigSpec | undefined> {
    return this.describeConfig(endpointConfigName);
  }

  async createEndpoint(endpointName: string, endpointConfigName: string): Promise<void> {
    if (!(await this.describeConfig(endpointConfigName))) throw new HostingError(`no endpoint config named ${endpointConfigName}`, 'NotFound');
    if (await this.describeRaw(endpointName)) throw new HostingError(`endpoint ${endpointName} already exists`, 'Conflict');
    try {
      await this.sagemaker.send(new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: endpointConfigName, Tags: [...tagList(this.controls), MANAGED_TAG] }));
    } catch (err) {
      if (isAlreadyExists(err)) throw new HostingError(`endpoint ${endpointName} already exists`, 'Conflict');
      throw toActivityError(err, `SageMaker CreateEndpoint ${endpointName}`);
    }
  }

  async updateEndpoint(endpointName: string, endpointConfigName: string): Promise<void> {
    if (!(await this.describeConfig(endpointConfigName))) throw new HostingError(`no endpoint config named ${endpointConfigName}`, 'NotFound');
    const current = await this.describeRaw(endpointName);
    if (!current) throw new HostingError(`no endpoint named ${endpointName}`, 'NotFound');
    // A retry after our own update: the endpoint already runs, or is moving to, this config.
    const pending = current.PendingDeploymentSummary?.EndpointConfigName;
    if (pending === endpointConfigName && current.EndpointStatus !== 'Failed') return;
    if (current.EndpointConfigName === endpointConfigName && current.EndpointStatus !== 'Failed') return;
    if (current.EndpointStatus === 'Failed') throw new HostingError(`endpoint ${endpointName} failed; SageMaker allows only DeleteEndpoint on a failed endpoint`, 'Conflict');
    if (current.EndpointStatus === 'UpdateRollbackFailed') {
      throw new HostingError(`endpoint ${endpointName} is UpdateRollbackFailed (${current.FailureReason ?? 'no reason given'}); it still serves traffic: fix it by hand before deploying again`, 'Conflict');
    }
    // Another deployment is under way (a second run of the family, or SageMaker's own maintenance):
    // a plain error, so the activity retries with backoff until the endpoint is InService again.
    if (current.EndpointStatus && current.EndpointStatus !== 'InService') throw new EndpointBusyError(endpointName, current.EndpointStatus);
    try {
      await this.sagemaker.send(new UpdateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: endpointConfigName, RetainAllVariantProperties: false }));
    } catch (err) {
      if (isErrorNamed(err, 'ValidationException', 'ValidationError') && /in.progress|in-progress/i.test((err as Error).message)) throw new EndpointBusyError(endpointName, 'Updating');
      throw toActivityError(err, `SageMaker UpdateEndpoint ${endpointName}`);
    }
  }

  async updateEndpointWeights(endpointName: string, weights: { variantName: string; weight: number }[]): Promise<void> {
    const current = await this.describeRaw(endpointName);
    if (!current) throw new HostingError(`no endpoint named ${endpointName}`, 'NotFound');
    if (current.EndpointStatus && current.EndpointStatus !== 'InService') throw new EndpointBusyError(endpointName, current.EndpointStatus);
    try {
      await this.sagemaker.send(
        new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: endpointName, DesiredWeightsAndCapacities: weights.map((w) => ({ VariantName: w.variantName, DesiredWeight: w.weight })) }),
      );
    } catch (err) {
      throw toActivityError(err, `SageMaker UpdateEndpointWeightsAndCapacities ${endpointName}`);
    }
  }

  async deleteEndpoint(endpointName: string): Promise<void> {
    try {
      await this.sagemaker.send(new DeleteEndpointCommand({ EndpointName: endpointName }));
    } catch (err) {
      if (isSageMakerNotFound(err)) return;
      throw toActivityError(err, `SageMaker DeleteEndpoint ${endpointName}`);
    }
  }

  async describeEndpoint(endpointName: string): Promise<EndpointDescription | undefined> {
    const d = await this.describeRaw(endpointName);
    return d ? this.toDescription(d) : undefined;
  }

  /**
   * The project's endpoints only: of the names ending in a family (`<prefix>-<family>`), those
   * carrying the tag the project puts on the endpoints it creates. Other endpoints of the account
   * cost no call beyond ListEndpoints (and one ListTags when the name looks like the project's).
   */
  async listEndpoints(): Promise<EndpointDescription[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await call('SageMaker ListEndpoints', () => this.sagemaker.send(new ListEndpointsCommand({ MaxResults: 100, ...(token ? { NextToken: token } : {}) })));
      for (const e of page.Endpoints ?? []) {
        if (!e.EndpointName || !e.EndpointArn || !PROJECT_ENDPOINT.test(e.EndpointName)) continue;
        const tags = await call(`SageMaker ListTags ${e.EndpointName}`, () => this.sagemaker.send(new ListTagsCommand({ ResourceArn: e.EndpointArn, MaxResults: 100 })));
        if ((tags.Tags ?? []).some((t) => t.Key === MANAGED_TAG.Key && t.Value === MANAGED_TAG.Value)) names.push(e.EndpointName);
      }
      token = page.NextToken || undefined;
    } while (token);
    const out: EndpointDescription[] = [];
    for (const name of names.sort()) {
      const d = await this.describeEndpoint(name);
      if (d) out.push(d);
    }
    return out;
  }

  async pruneEndpointHistory(endpointName: string, currentConfigName: string): Promise<{ deletedConfigs: string[]; deletedModels: string[] }> {
    const keep = Math.max(1, this.options.keepEndpointConfigs ?? 3);
    const family = PROJECT_CONFIG.exec(currentConfigName)?.[1];
    if (!family) return { deletedConfigs: [], deletedModels: [] };
    const configs: { name: string; created: number }[] = [];
    let token: string | undefined;
    do {
      const page = await call('SageMaker ListEndpointConfigs', () =>
        this.sagemaker.send(new ListEndpointConfigsCommand({ NameContains: `endpoint-config-${family}-`, MaxResults: 100, ...(token ? { NextToken: token } : {}) })),
      );
      for (const c of page.EndpointConfigs ?? []) {
        if (!c.EndpointConfigName || !c.EndpointConfigArn || !PROJECT_CONFIG.test(c.EndpointConfigName)) continue;
        // Only the configs made for this endpoint: another stack of the account names its configs alike.
        const tags = await call(`SageMaker ListTags ${c.EndpointConfigName}`, () => this.sagemaker.send(new ListTagsCommand({ ResourceArn: c.EndpointConfigArn, MaxResults: 100 })));
        if ((tags.Tags ?? []).some((t) => t.Key === ENDPOINT_TAG && t.Value === endpointName)) configs.push({ name: c.EndpointConfigName, created: c.CreationTime?.getTime() ?? 0 });
      }
      token = page.NextToken || undefined;
    } while (token);
    configs.sort((a, b) => b.created - a.created || b.name.localeCompare(a.name));
    const current = await this.describeRaw(endpointName);
    const inUse = new Set([currentConfigName, current?.EndpointConfigName, current?.PendingDeploymentSummary?.EndpointConfigName].filter((n): n is string => !!n));
    const kept = new Set([...configs.slice(0, keep).map((c) => c.name), ...inUse]);
    const keptModels = new Set<string>();
    for (const name of kept) for (const v of (await this.describeConfig(name))?.variants ?? []) keptModels.add(v.modelName);
    const deletedConfigs: string[] = [];
    const deletedModels: string[] = [];
    for (const { name } of configs.filter((c) => !kept.has(c.name))) {
      const models = (await this.describeConfig(name))?.variants.map((v) => v.modelName) ?? [];
      await this.deleteIgnoringMissing(`SageMaker DeleteEndpointConfig ${name}`, () => this.sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })));
      this.configs.delete(name);
      deletedConfigs.push(name);
      for (const model of models) {
        if (keptModels.has(model) || deletedModels.includes(model)) continue;
        await this.deleteIgnoringMissing(`SageMaker DeleteModel ${model}`, () => this.sagemaker.send(new DeleteModelCommand({ ModelName: model })));
        deletedModels.push(model);
      }
    }
    return { deletedConfigs, deletedModels };
  }

  private async deleteIgnoringMissing(operation: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (!isSageMakerNotFound(err)) throw toActivityError(err, operation);
    }
  }

  private async toDescription(d: DescribeEndpointCommandOutput): Promise<EndpointDescription> {
    const configName = d.EndpointConfigName ?? '';
    const config = configName ? await this.describeConfig(configName) : undefined;
    const modelOf = new Map([...(config?.variants ?? []), ...(config?.shadowVariants ?? [])].map((v) => [v.variantName, v.modelName]));
    const variantsFromEndpoint = (d.ProductionVariants ?? []).map((v) => variantDescription(v, modelOf));
    const shadows = (d.ShadowProductionVariants ?? []).map((v) => variantDescription(v, modelOf));
    // While Creating, SageMaker lists no variants yet: report the configured ones with 0 instances.
    const variants = variantsFromEndpoint.length
      ? variantsFromEndpoint
      : (config?.variants ?? []).map((v) => ({ variantName: v.variantName, modelName: v.modelName, currentInstanceCount: 0, desiredInstanceCount: v.instanceCount }));
    return {
      endpointName: d.EndpointName ?? '',
      endpointConfigName: configName,
      status: endpointStatus(d.EndpointStatus),
      ...(d.FailureReason ? { failureReason: d.FailureReason } : {}),
      variants,
      ...(shadows.length ? { shadowVariants: shadows } : {}),
      creationTime: (d.CreationTime ?? new Date()).toISOString(),
      lastModifiedTime: (d.LastModifiedTime ?? d.CreationTime ?? new Date()).toISOString(),
    };
  }

  private describeRaw(endpointName: string): Promise<DescribeEndpointCommandOutput | undefined> {
    return describeEndpointIfAny(this.sagemaker, endpointName);
  }

  /** The model's artifact URI, or undefined when no model has that name. */
  private async describeModelArtifact(modelName: string): Promise<string | undefined> {
    try {
      const d = await this.sagemaker.send(new DescribeModelCommand({ ModelName: modelName }));
      return d.PrimaryContainer?.ModelDataUrl ?? d.Containers?.[0]?.ModelDataUrl ?? '';
    } catch (err) {
      if (isSageMakerNotFound(err)) return undefined;
      throw toActivityError(err, `SageMaker DescribeModel ${modelName}`);
    }
  }

  private async describeConfig(name: string): Promise<EndpointConfigSpec | undefined> {
    const cached = this.configs.get(name);
    if (cached) return cached;
    let d: DescribeEndpointConfigCommandOutput;
    try {
      d = await this.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
    } catch (err) {
      if (isSageMakerNotFound(err)) return undefined;
      throw toActivityError(err, `SageMaker DescribeEndpointConfig ${name}`);
    }
    const capture = d.DataCaptureConfig;
    const spec: EndpointConfigSpec = {
      endpointConfigName: name,
      variants: (d.ProductionVariants ?? []).map(variantSpec),
      ...(d.ShadowProductionVariants?.length ? { shadowVariants: d.ShadowProductionVariants.map(variantSpec) } : {}),
      ...(capture
        ? {
            dataCapture: {
              enableCapture: capture.EnableCapture ?? false,
              initialSamplingPercentage: capture.InitialSamplingPercentage ?? 0,
              destinationS3Uri: capture.DestinationS3Uri ?? '',
              captureModes: (capture.CaptureOptions ?? []).map((o) => o.CaptureMode).filter((m): m is 'Input' | 'Output' => m === 'Input' || m === 'Output'),
              csvContentTypes: capture.CaptureContentTypeHeader?.CsvContentTypes ?? [],
              jsonContentTypes: capture.CaptureContentTypeHeader?.JsonContentTypes ?? [],
            },
          }
        : {}),
    };
    this.configs.set(name, spec);
    return spec;
  }
}

function productionVariant(v: EndpointVariantSpec): ProductionVariant {
  return {
    VariantName: v.variantName,
    ModelName: v.modelName,
    InstanceType: v.instanceType as ProductionVariantInstanceType,
    InitialInstanceCount: v.instanceCount,
    InitialVariantWeight: v.initialWeight ?? 1,
  };
}

function variantSpec(v: ProductionVariant): EndpointVariantSpec {
  return { variantName: v.VariantName ?? '', modelName: v.ModelName ?? '', instanceType: v.InstanceType ?? '', instanceCount: v.InitialInstanceCount ?? 1, initialWeight: v.InitialVariantWeight ?? 1 };
}

function variantDescription(v: ProductionVariantSummary, modelOf: Map<string, string>): EndpointVariantDescription {
  return {
    variantName: v.VariantName ?? '',
    modelName: modelOf.get(v.VariantName ?? '') ?? '',
    currentInstanceCount: v.CurrentInstanceCount ?? 0,
    desiredInstanceCount: v.DesiredInstanceCount ?? v.CurrentInstanceCount ?? 0,
    ...(v.CurrentWeight !== undefined ? { currentWeight: v.CurrentWeight } : {}),
    ...(v.DesiredWeight !== undefined ? { desiredWeight: v.DesiredWeight } : {}),
  };
}

/** A canonical form for comparing a requested config with a described one. */
function normalize(spec: EndpointConfigSpec) {
  const variants = (list: EndpointVariantSpec[]) => list.map((v) => ({ variantName: v.variantName, modelName: v.modelName, instanceType: v.instanceType, instanceCount: v.instanceCount, initialWeight: v.initialWeight ?? 1 }));
  return {
    endpointConfigName: spec.endpointConfigName,
    variants: variants(spec.variants),
    shadowVariants: variants(spec.shadowVariants ?? []),
    dataCapture: spec.dataCapture
      ? {
          enableCapture: spec.dataCapture.enableCapture,
          initialSamplingPercentage: spec.dataCapture.initialSamplingPercentage,
          destinationS3Uri: spec.dataCapture.destinationS3Uri.replace(/\/+$/, ''),
          captureModes: [...spec.dataCapture.captureModes].sort(),
          csvContentTypes: [...spec.dataCapture.csvContentTypes].sort(),
          jsonContentTypes: [...spec.dataCapture.jsonContentTypes].sort(),
        }
      : null,
  };
}

function endpointStatus(status: string | undefined): EndpointStatus {
  switch (status) {
    case 'Creating':
    case 'Updating':
    case 'InService':
    case 'Failed':
    case 'Deleting':
    case 'OutOfService':
      return status;
    case 'SystemUpdating':
    case 'RollingBack':
      return 'Updating';
    case 'UpdateRollbackFailed':
      return 'UpdateRollbackFailed';
    default:
      return 'Creating';
  }
}

/** The endpoint is moving (Creating, Updating, ...): retryable, unlike a ValidationException. */
export class EndpointBusyError extends Error {
  constructor(endpointName: string, status: string) {
    super(`endpoint ${endpointName} is ${status}: it can be updated once it is InService again`);
    this.name = 'EndpointBusy';
  }
}
