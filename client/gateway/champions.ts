import type { Backend } from '../../activities/backends/types';
import { readChampion } from '../../activities/registry/champion-store';
import { MODEL_FAMILIES, type ModelFamily } from '../../common/types/model';
import { featureSchemaSchema, type FeatureSchema } from '../../common/schemas/feature-schema';

/** A champion the gateway can call: deployed behind an endpoint, with its parsed feature schema. */
export interface DeployedChampion {
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
  private cached?: { at: number; champions: DeployedChampion[] };
  private loading?: Promise<DeployedChampion[]>;
  private readonly schemas = new Map<string, FeatureSchema>();

  constructor(
    private readonly backend: Pick<Backend, 'parameters' | 'objectStore'>,
    private readonly ttlMs = 2000,
  ) {}

  async champions(): Promise<DeployedChampion[]> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.champions;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<DeployedChampion[]> {
    const out: DeployedChampion[] = [];
    for (const family of MODEL_FAMILIES) {
      const champion = await readChampion(this.backend.parameters, family);
      if (!champion?.endpointName) continue;
      out.push({ family, endpointName: champion.endpointName, modelVersion: String(champion.modelVersion), featureSchemaUri: champion.featureSchemaUri, schema: await this.schema(champion.featureSchemaUri) });
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
