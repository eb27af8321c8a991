import type { Backend } from '../../activities/backends/types';
import { parameterNames } from '../../common/artifacts';
import { MODEL_FAMILIES, type ModelFamily } from '../../common/types/model';
import { featureSchemaSchema, type FeatureSchema } from './feature-schema';

export interface Champion {
  family: ModelFamily;
  endpointName: string;
  modelVersion: string;
  featureSchemaUri: string;
  schema: FeatureSchema;
}

/**
 * Finds the deployed champion of each family through the parameter store (exported by the
 * training pipeline), with their feature schemas; refreshed at most every `ttlMs`, so a new
 * champion is picked up within seconds without a lookup per request.
 */
export class ChampionResolver {
  private cached?: { at: number; champions: Champion[] };
  private loading?: Promise<Champion[]>;
  private readonly schemas = new Map<string, FeatureSchema>();

  constructor(
    private readonly backend: Pick<Backend, 'parameters' | 'objectStore'>,
    private readonly ttlMs = 2000,
  ) {}

  async champions(): Promise<Champion[]> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.champions;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<Champion[]> {
    const out: Champion[] = [];
    for (const family of MODEL_FAMILIES) {
      const [endpoint, version, schemaUri] = await Promise.all([
        this.backend.parameters.get(parameterNames.champion(family, 'endpoint-name')),
        this.backend.parameters.get(parameterNames.champion(family, 'model-version')),
        this.backend.parameters.get(parameterNames.champion(family, 'feature-schema-uri')),
      ]);
      if (!endpoint || !schemaUri) continue;
      out.push({ family, endpointName: endpoint.value, modelVersion: version?.value ?? '?', featureSchemaUri: schemaUri.value, schema: await this.schema(schemaUri.value) });
    }
    this.cached = { at: Date.now(), champions: out };
    return out;
  }

  private async schema(uri: string): Promise<FeatureSchema> {
    const known = this.schemas.get(uri);
    if (known) return known;
    const parsed = featureSchemaSchema.parse(JSON.parse((await this.backend.objectStore.get(uri)).toString('utf8')));
    this.schemas.set(uri, parsed);
    return parsed;
  }
}
