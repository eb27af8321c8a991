import { ApplicationFailure } from '@temporalio/common';
import { parameterNames, type ChampionField } from '../../common/artifacts';
import { ErrorType } from '../../common/errors';
import type { BaselineUris, ModelApprovalStatus, ModelDecision, ModelFamily, ModelVersion, SplitMetrics } from '../../common/types/model';
import type { Backend, RegisterModelVersionInput } from '../backends/types';
import { signalChampionChanged } from '../../client/lifecycle/ensure';
import type { LifecycleDeps } from '../lifecycle/retraining';

export interface RecordDecisionInput {
  family: ModelFamily;
  version: number;
  status: ModelApprovalStatus;
  decision?: ModelDecision;
  metrics?: SplitMetrics;
  baselines?: { dataQuality?: BaselineUris; modelQuality?: BaselineUris };
}

export interface PreviousBest {
  version: number;
  validationRmse: number;
}

/** Steps 3, 6 and 11: the registry and the parameter store. */
export function createRegistryActivities(backend: Backend, lifecycle?: LifecycleDeps) {
  async function requireVersion(family: ModelFamily, version: number): Promise<ModelVersion> {
    const found = await backend.registry.getVersion(family, version);
    if (!found) throw ApplicationFailure.nonRetryable(`no version ${version} of ${family} in the registry`, ErrorType.NotFound);
    return found;
  }

  return {
    /** Step 3: register the trained model as a new version and record its name under a stable key. */
    async registerModelVersion(input: RegisterModelVersionInput): Promise<{ version: number; modelName: string }> {
      // SageMaker's CreateModel: the artifact plus its serving image, so endpoints can host it.
      await backend.hosting.createModel({ modelName: input.modelName, image: input.family, artifactUri: input.artifactUri });
      const version = await backend.registry.registerVersion(input);
      await backend.parameters.put(parameterNames.latestModelName(input.family), version.modelName);
      return { version: version.version, modelName: version.modelName };
    },

    /** Step 6: the best approved version of the family so far (lowest validation RMSE), if any. */
    async findPreviousBest(input: { family: ModelFamily; excludeVersion: number }): Promise<PreviousBest | null> {
      const versions = await backend.registry.listVersions(input.family);
      let best: PreviousBest | null = null;
      for (const v of versions) {
        if (v.version === input.excludeVersion || v.status !== 'Approved' || !v.metrics) continue;
        if (!best || v.metrics.validation.rmse < best.validationRmse) best = { version: v.version, validationRmse: v.metrics.validation.rmse };
      }
      return best;
    },

    /** Records metrics, baselines, approval status and the decision on a version. */
    async recordModelDecision(input: RecordDecisionInput): Promise<void> {
      await requireVersion(input.family, input.version);
      await backend.registry.updateVersion(input.family, input.version, {
        status: input.status,
        ...(input.decision ? { decision: input.decision } : {}),
        ...(input.metrics ? { metrics: input.metrics } : {}),
        ...(input.baselines ? { baselines: input.baselines } : {}),
      });
    },

    /** Step 11: export the champion's configuration so the other pipelines find it. */
    async exportChampionConfig(input: {
      family: ModelFamily;
      version: number;
      endpointName?: string;
      endpointConfigName?: string;
    }): Promise<string[]> {
      const v = await requireVersion(input.family, input.version);
      const values: Partial<Record<ChampionField, string>> = {
        'model-name': v.modelName,
        'model-version': String(v.version),
        'model-artifact-uri': v.artifactUri,
        'feature-schema-uri': v.featureSchemaUri,
        'training-data-uri': v.dataUri,
        'data-quality-statistics-uri': v.baselines?.dataQuality?.statisticsUri,
        'data-quality-constraints-uri': v.baselines?.dataQuality?.constraintsUri,
        'model-quality-statistics-uri': v.baselines?.modelQuality?.statisticsUri,
        'model-quality-constraints-uri': v.baselines?.modelQuality?.constraintsUri,
        'endpoint-name': input.endpointName,
        'endpoint-config-name': input.endpointConfigName,
      };
      const written: string[] = [];
      for (const [field, value] of Object.entries(values) as [ChampionField, string | undefined][]) {
        if (!value) continue;
        const name = parameterNames.champion(input.family, field);
        await backend.parameters.put(name, value);
        written.push(name);
      }
      // The family's lifecycle learns its new champion (started if it does not run yet).
      if (lifecycle) await signalChampionChanged(lifecycle.client, lifecycle.config, { family: v.family, version: v.version, modelName: v.modelName, at: new Date().toISOString() });
      return written;
    },
  };
}
