import type { ModelHosting, ModelRegistry, ObjectStore } from '../../activities/backends/types';
import { featureSchemaSchema, type FeatureSchema } from '../../common/schemas/feature-schema';
import type { ModelFamily, ModelVersion } from '../../common/types/model';
import { EndpointCallError } from './endpoint-client';

/** A model that answers on an endpoint: its version label and the feature schema its inputs follow. */
export interface ServingModel {
  family: ModelFamily;
  modelName: string;
  modelVersion: string;
  featureSchemaUri: string;
  schema: FeatureSchema;
}

/** What attribution reads: versions from the registry, the endpoint's configuration from hosting, schemas from the store. */
export interface ServingBackend {
  objectStore: Pick<ObjectStore, 'get'>;
  registry: Pick<ModelRegistry, 'listVersions'>;
  hosting: Pick<ModelHosting, 'describeEndpoint'>;
}

/** How long a variant -> model mapping read from DescribeEndpoint is trusted (variants not named after their model). */
const DESCRIBED_TTL_MS = 1000;
/** A name the registry did not know is looked up again after this long (it may be registered since). */
const REREAD_MS = 1000;

/**
 * Which model served an invocation, learned from the endpoint itself: every answer names the
 * production variant that served it (SageMaker's InvokedProductionVariant; the local endpoint host
 * answers the same header), and a variant is named after the model it serves. The variant's model
 * comes from the endpoint's configuration (DescribeEndpoint / DescribeEndpointConfig, cached for a
 * second, one call at a time per endpoint), or, when the configuration does not show it yet, from
 * the registry under the variant's name; the registry gives the version label and the feature
 * schema (immutable, cached for good). Nothing is taken from the champion record, which is
 * exported after the switch and so lags behind the endpoint.
 */
export class ServingModels {
  private readonly byModelName = new Map<string, Promise<ServingModel>>();
  private readonly registered = new Map<ModelFamily, { at: number; versions: Map<string, ModelVersion> }>();
  private readonly listing = new Map<ModelFamily, Promise<Map<string, ModelVersion>>>();
  private readonly described = new Map<string, { at: number; variants: Map<string, string> }>();
  private readonly describing = new Map<string, Promise<Map<string, string>>>();
  private readonly schemas = new Map<string, Promise<FeatureSchema>>();

  /** `project`: whose registry group a family's versions are read from (absent: the demo project). */
  constructor(
    private readonly backend: ServingBackend,
    private readonly project?: string,
  ) {}

  /** The feature schema at `uri` (parsed once). */
  schema(uri: string): Promise<FeatureSchema> {
    let known = this.schemas.get(uri);
    if (!known) {
      known = this.backend.objectStore.get(uri).then((body) => featureSchemaSchema.parse(JSON.parse(body.toString('utf8'))));
      known.catch(() => this.schemas.delete(uri));
      this.schemas.set(uri, known);
    }
    return known;
  }

  /** The model that served an answer of `endpointName` from `variant`; an EndpointCallError when the endpoint cannot say. */
  async resolve(family: ModelFamily, endpointName: string, variant: string | undefined): Promise<ServingModel> {
    try {
      return await this.lookUp(family, endpointName, variant);
    } catch (err) {
      if (err instanceof EndpointCallError) throw err;
      // The registry, the hosting API or the store did not answer: no label can be trusted.
      throw new EndpointCallError(endpointName, `cannot tell which model of ${endpointName} answered: ${(err as Error).message}`, 'unavailable');
    }
  }

  private async lookUp(family: ModelFamily, endpointName: string, variant: string | undefined): Promise<ServingModel> {
    // A variant named after a model seen before: no call at all (the common case).
    const known = variant ? this.byModelName.get(variant) : undefined;
    if (known) return known;
    // The endpoint's configuration (cached briefly) names the variant's model; this also covers
    // variants not named after their model (AllTraffic), without reading the registry each time.
    const variants = await this.variants(endpointName);
    const configured = variant ? variants.get(variant) : variants.size === 1 ? [...variants.values()][0] : undefined;
    // Else a variant named after a registered model the configuration does not show yet (the
    // switch happened between two describes).
    const modelName = configured ?? variant;
    const model = modelName ? await this.model(family, modelName) : undefined;
    if (model) return model;
    const who = variant ? `variant '${variant}'` : 'no variant';
    throw new EndpointCallError(endpointName, `${endpointName} answered from ${who}, which names no registered ${family} model in its configuration`, 'unavailable');
  }

  /** The registered model version named `modelName`, or undefined (the family's list is read again at most once per second). */
  private async model(family: ModelFamily, modelName: string): Promise<ServingModel | undefined> {
    const known = this.byModelName.get(modelName);
    if (known) return known;
    const version = (await this.versions(family, modelName)).get(modelName);
    if (!version) return undefined;
    const model = this.schema(version.featureSchemaUri).then((schema) => ({ family, modelName, modelVersion: String(version.version), featureSchemaUri: version.featureSchemaUri, schema }));
    model.catch(() => this.byModelName.delete(modelName));
    this.byModelName.set(modelName, model);
    return model;
  }

  private async versions(family: ModelFamily, wanted: string): Promise<Map<string, ModelVersion>> {
    const cached = this.registered.get(family);
    if (cached && (cached.versions.has(wanted) || Date.now() - cached.at < REREAD_MS)) return cached.versions;
    let pending = this.listing.get(family);
    if (!pending) {
      pending = this.backend.registry
        .listVersions(family, this.project)
        .then((list) => {
          const versions = new Map(list.map((v) => [v.modelName, v]));
          this.registered.set(family, { at: Date.now(), versions });
          return versions;
        })
        .finally(() => this.listing.delete(family));
      this.listing.set(family, pending);
    }
    return pending;
  }

  /** variant name -> model name of the endpoint's configuration, described at most once per DESCRIBED_TTL_MS. */
  private async variants(endpointName: string): Promise<Map<string, string>> {
    const cached = this.described.get(endpointName);
    if (cached && Date.now() - cached.at < DESCRIBED_TTL_MS) return cached.variants;
    let pending = this.describing.get(endpointName);
    if (!pending) {
      pending = this.backend.hosting
        .describeEndpoint(endpointName)
        .then((d) => {
          const variants = new Map((d?.variants ?? []).filter((v) => v.modelName).map((v) => [v.variantName, v.modelName]));
          this.described.set(endpointName, { at: Date.now(), variants });
          return variants;
        })
        .finally(() => this.describing.delete(endpointName));
      this.describing.set(endpointName, pending);
    }
    return pending;
  }
}
