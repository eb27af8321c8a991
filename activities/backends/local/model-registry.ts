import type { ModelFamily, ModelVersion } from '../../../common/types/model';
import { isDefaultProject, modelKey, projectOf } from '../../../common/project';
import type { ModelRegistry, ModelVersionPatch, RegisterModelVersionInput } from '../types';
import { JsonState } from './json-state';

/** Groups by model key (`<family>` in the demo project, `<project>/<family>` elsewhere). */
interface RegistryDocument {
  groups: Partial<Record<string, { versions: ModelVersion[] }>>;
}

export class RegistryNotFoundError extends Error {
  constructor(family: string, version: number) {
    super(`no version ${version} of model family '${family}' in the registry`);
    this.name = 'RegistryNotFoundError';
  }
}

/** The model registry as one JSON document under the data dir; it survives restarts. */
export class LocalModelRegistry implements ModelRegistry {
  private readonly state: JsonState<RegistryDocument>;

  constructor(file: string) {
    this.state = new JsonState(file, () => ({ groups: {} }));
  }

  async registerVersion(input: RegisterModelVersionInput): Promise<ModelVersion> {
    return this.state.update((doc) => {
      const group = (doc.groups[modelKey(input.project, input.family)] ??= { versions: [] });
      const existing = group.versions.find((v) => v.trainingJobName === input.trainingJobName);
      if (existing) return existing;
      const now = new Date().toISOString();
      const { expectedBaselines: _expected, project, ...fields } = input;
      const version: ModelVersion = {
        ...fields,
        ...(isDefaultProject(project) ? {} : { project: projectOf(project) }),
        version: group.versions.reduce((max, v) => Math.max(max, v.version), 0) + 1,
        status: 'PendingManualApproval',
        createdAt: now,
        updatedAt: now,
      };
      group.versions.push(version);
      return version;
    });
  }

  async getVersion(family: ModelFamily, version: number, project?: string): Promise<ModelVersion | undefined> {
    const doc = await this.state.read();
    return doc.groups[modelKey(project, family)]?.versions.find((v) => v.version === version);
  }

  async listVersions(family?: ModelFamily, project?: string): Promise<ModelVersion[]> {
    const doc = await this.state.read();
    const groups = family ? [doc.groups[modelKey(project, family)]] : Object.values(doc.groups);
    return groups
      .flatMap((g) => g?.versions ?? [])
      .filter((v) => projectOf(v.project) === projectOf(project))
      .sort((a, b) => a.family.localeCompare(b.family) || a.version - b.version);
  }

  async updateVersion(family: ModelFamily, version: number, patch: ModelVersionPatch, project?: string): Promise<ModelVersion> {
    return this.state.update((doc) => {
      const found = doc.groups[modelKey(project, family)]?.versions.find((v) => v.version === version);
      if (!found) throw new RegistryNotFoundError(family, version);
      if (patch.status) found.status = patch.status;
      if (patch.decision) {
        // A retried activity records the same decision again: only a different one moves the current one to the history.
        if (found.decision && JSON.stringify(found.decision) !== JSON.stringify(patch.decision)) found.previousDecisions = [...(found.previousDecisions ?? []), found.decision];
        found.decision = patch.decision;
      }
      if (patch.metrics) found.metrics = patch.metrics;
      if (patch.governance) found.governance = patch.governance;
      if (patch.baselines) found.baselines = { ...found.baselines, ...patch.baselines };
      found.updatedAt = new Date().toISOString();
      return found;
    });
  }
}
