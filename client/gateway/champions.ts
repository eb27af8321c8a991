import type { Backend } from '../../activities/backends/types';
import { readChampion } from '../../activities/registry/champion-store';
import type { FeatureSchema } from '../../common/schemas/feature-schema';
import { DEMO_MODEL_FAMILIES as MODEL_FAMILIES, type ModelFamily } from '../../common/types/model';

/**
 * A champion the gateway can call: deployed behind an endpoint, with its parsed feature schema.
 * Which endpoints to call comes from here; which model answered (and so the version label) comes
 * from each answer (serving-models.ts), since the record is exported after an endpoint switches.
 */
export interface DeployedChampion {
  family: ModelFamily;
  endpointName: string;
  modelName: string;
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

  /** `scope`: a project and its families (absent: the demo project's). */
  constructor(
    private readonly backend: Pick<Backend, 'parameters'>,
    private readonly schema: (uri: string) => Promise<FeatureSchema>,
    private readonly ttlMs = 2000,
    private readonly scope: { project?: string; families: readonly ModelFamily[] } = { families: MODEL_FAMILIES },
  ) {}

  /** The families whose champions are looked up (a `model:<family>` combiner may name only these). */
  get families(): readonly ModelFamily[] {
    return this.scope.families;
  }

  async champions(): Promise<DeployedChampion[]> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.champions;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<DeployedChampion[]> {
    const out: DeployedChampion[] = [];
    for (const family of this.scope.families) {
      const champion = await readChampion(this.backend.parameters, family, this.scope.project);
      if (!champion?.endpointName) continue;
      out.push({
        family,
        endpointName: champion.endpointName,
        modelName: champion.modelName,
        modelVersion: String(champion.modelVersion),
        featureSchemaUri: champion.featureSchemaUri,
        schema: await this.schema(champion.featureSchemaUri),
      });
    }
    this.cached = { at: Date.now(), champions: out };
    return out;
  }
}
