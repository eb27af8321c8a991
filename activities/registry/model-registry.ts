import { parameterNames } from '../../common/artifacts';
import type { Champion } from '../../common/types/champion';
import type { GovernanceRecord } from '../../common/types/governance';
import type { RollbackPlan } from '../../common/types/rollback';
import { conflict, invalidInput, notFound } from '../../common/errors';
import type { BaselineUris, ModelApprovalStatus, ModelDecision, ModelFamily, ModelVersion, SplitMetrics } from '../../common/types/model';
import { algorithmImage, type Backend, type RegisterModelVersionInput } from '../backends/types';
import { isDefaultProject, modelKey, projectOf } from '../../common/project';
import type { WorkflowPort } from '../lifecycle/workflow-port';
import { readChampion, writeChampion } from './champion-store';

export interface RecordDecisionInput {
  family: ModelFamily;
  /** The project (absent: the demo project). */
  project?: string;
  version: number;
  status: ModelApprovalStatus;
  decision?: ModelDecision;
  metrics?: SplitMetrics;
  baselines?: { dataQuality?: BaselineUris; modelQuality?: BaselineUris };
  /** Step 6 against the champion, the data-shift check and warnings (runs since they exist). */
  governance?: GovernanceRecord;
}

export interface PreviousBest {
  version: number;
  validationRmse: number;
}

/** Steps 3, 6 and 11: the registry and the parameter store. */
export function createRegistryActivities(backend: Backend, workflows?: WorkflowPort) {
  async function requireVersion(family: ModelFamily, version: number, project?: string): Promise<ModelVersion> {
    const found = await backend.registry.getVersion(family, version, project);
    if (!found) throw notFound(`no version ${version} of ${modelKey(project, family)} in the registry`);
    return found;
  }

  async function recordDecision(input: RecordDecisionInput): Promise<ModelVersion> {
    await requireVersion(input.family, input.version, input.project);
    return backend.registry.updateVersion(
      input.family,
      input.version,
      {
        status: input.status,
        ...(input.decision ? { decision: input.decision } : {}),
        ...(input.metrics ? { metrics: input.metrics } : {}),
        ...(input.baselines ? { baselines: input.baselines } : {}),
        ...(input.governance ? { governance: input.governance } : {}),
      },
      input.project,
    );
  }

  return {
    /** Step 3: register the trained model as a new version and record its name under a stable key. */
    async registerModelVersion(input: RegisterModelVersionInput): Promise<{ version: number; modelName: string }> {
      // SageMaker's CreateModel: the artifact plus its serving image, so endpoints can host it.
      await backend.hosting.createModel({ modelName: input.modelName, image: algorithmImage(input.family, input.algorithm), artifactUri: input.artifactUri });
      const version = await backend.registry.registerVersion(input);
      await backend.parameters.put(parameterNames.latestModelName(input.family, input.project), version.modelName);
      return { version: version.version, modelName: version.modelName };
    },

    /** Step 6: the best approved version of the family so far (lowest validation RMSE), if any. */
    async findPreviousBest(input: { family: ModelFamily; excludeVersion: number; project?: string }): Promise<PreviousBest | null> {
      const versions = await backend.registry.listVersions(input.family, input.project);
      let best: PreviousBest | null = null;
      for (const v of versions) {
        if (v.version === input.excludeVersion || v.status !== 'Approved' || !v.metrics) continue;
        if (!best || v.metrics.validation.rmse < best.validationRmse) best = { version: v.version, validationRmse: v.metrics.validation.rmse };
      }
      return best;
    },

    /**
     * Checks a rollback before anything moves: the version exists, is not the champion already, and
     * is Approved (anything else only with `force`); without a version, the newest approved one
     * older than the champion. Every refusal is permanent and names the rule.
     */
    async prepareRollback(input: { family: ModelFamily; toVersion?: number; force: boolean; project?: string }): Promise<RollbackPlan> {
      const champion = await readChampion(backend.parameters, input.family, input.project);
      const versions = await backend.registry.listVersions(input.family, input.project);
      let target: ModelVersion | undefined;
      if (input.toVersion !== undefined) {
        target = versions.find((v) => v.version === input.toVersion);
        if (!target) throw notFound(`${input.family} has no version ${input.toVersion} (versions: ${versions.map((v) => v.version).join(', ') || 'none'})`);
      } else {
        if (!champion) throw invalidInput(`${input.family} has no champion to roll back from: name a version with --to`);
        target = versions.filter((v) => v.status === 'Approved' && v.version < champion.modelVersion).at(-1);
        if (!target) throw notFound(`${input.family} has no approved version older than the champion (version ${champion.modelVersion}) to roll back to`);
      }
      if (champion && champion.modelVersion === target.version) throw conflict(`${input.family} version ${target.version} is the champion already`);
      if (target.status !== 'Approved' && !input.force) {
        throw conflict(`${input.family} version ${target.version} is ${target.status}${target.decision ? ` (${target.decision.reason})` : ''}: promote it only with --force and a reason`);
      }
      if (!target.baselines?.dataQuality) throw conflict(`${input.family} version ${target.version} has no data-quality baseline: monitoring could not follow it`);
      return {
        target: { version: target.version, modelName: target.modelName, status: target.status },
        ...(champion ? { current: { version: champion.modelVersion, modelName: champion.modelName, ...(champion.endpointName ? { endpointName: champion.endpointName } : {}) } } : {}),
      };
    },

    /** Records metrics, baselines, approval status and the decision on a version. */
    async recordModelDecision(input: RecordDecisionInput): Promise<void> {
      await recordDecision(input);
    },

    /**
     * Step 11: export the champion's configuration so the other pipelines find it. With
     * `approval`, the version is first recorded as Approved with it (step 11 as one round trip:
     * both writes are idempotent, so a retry repeats them harmlessly).
     */
    async exportChampionConfig(input: {
      family: ModelFamily;
      version: number;
      project?: string;
      endpointName?: string;
      endpointConfigName?: string;
      approval?: Omit<RecordDecisionInput, 'family' | 'project' | 'version' | 'status'>;
    }): Promise<string[]> {
      const v = input.approval
        ? await recordDecision({ ...input.approval, family: input.family, version: input.version, status: 'Approved', ...(input.project ? { project: input.project } : {}) })
        : await requireVersion(input.family, input.version, input.project);
      const champion: Champion = {
        family: v.family,
        ...(isDefaultProject(input.project) ? {} : { project: projectOf(input.project) }),
        ...(v.algorithm ? { algorithm: v.algorithm } : {}),
        modelName: v.modelName,
        modelVersion: v.version,
        modelArtifactUri: v.artifactUri,
        featureSchemaUri: v.featureSchemaUri,
        ...(v.dataUri ? { trainingDataUri: v.dataUri } : {}),
        ...(v.baselines?.dataQuality ? { dataQualityBaseline: v.baselines.dataQuality } : {}),
        ...(v.baselines?.modelQuality ? { modelQualityBaseline: v.baselines.modelQuality } : {}),
        ...(input.endpointName ? { endpointName: input.endpointName } : {}),
        ...(input.endpointConfigName ? { endpointConfigName: input.endpointConfigName } : {}),
      };
      const written = await writeChampion(backend.parameters, champion);
      // The family's lifecycle learns its new champion (started if it does not run yet).
      if (workflows) await workflows.signalChampionChanged({ family: v.family, ...(isDefaultProject(input.project) ? {} : { project: projectOf(input.project) }), version: v.version, modelName: v.modelName, at: new Date().toISOString() });
      return written;
    },
  };
}
