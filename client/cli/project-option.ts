import { taskQueuesOf } from '../../common/config/parse';
import { endpointName } from '../../common/ids';
import { DEFAULT_PROJECT, endpointNamePrefix, projectOf } from '../../common/project';
import { DEMO_MODEL_FAMILIES, type ModelFamily } from '../../common/types/model';
import { loadProject } from '../../services/projects/project-file';
import { projectTrainingConfig } from '../../services/projects/training-config';
import { UsageError } from '../../services/usage-error';
import type { CliContext } from './context';

/** The help of `--project` on a command that addresses one project's models (the demo's without it). */
export const PROJECT_HELP = `the project (projects/<name>/project.yaml; default: the demo's, ${DEFAULT_PROJECT})`;

/** The help of `--project` on a listing that spans the stack without it. */
export const PROJECT_FILTER_HELP = "only this project's (default: every project's, as before projects)";

/**
 * The model families `--project` names: the demo's without it, else the project's algorithm names
 * (an unknown or ill-named project is a UsageError naming the projects there are, exit 2).
 */
export async function projectFamilies(ctx: CliContext, project: string | undefined): Promise<readonly ModelFamily[]> {
  if (project === undefined) return DEMO_MODEL_FAMILIES;
  return (await loadProject(ctx.config.projectsDir, project)).project.algorithms.map((a) => a.name);
}

/** A family argument or option checked against the families of `--project` (exit 2 naming them). */
export async function checkFamily(ctx: CliContext, project: string | undefined, family: string, flag?: string): Promise<ModelFamily> {
  const known = await projectFamilies(ctx, project);
  if (!known.includes(family)) {
    const of = project === undefined ? '' : ` of project ${project}`;
    throw new UsageError(`${flag ? `${flag}: ` : ''}unknown model family '${family}'${of} (known: ${known.join(', ')})`);
  }
  return family;
}

/** Checks that `--project` names a project of the stack (a listing filter), before anything is read. */
export async function checkProject(ctx: CliContext, project: string | undefined): Promise<void> {
  if (project !== undefined) await loadProject(ctx.config.projectsDir, project);
}

/** Whether a run or record that names `recorded` (absent: the demo project) belongs to `wanted`. */
export function sameProject(recorded: unknown, wanted: string): boolean {
  return projectOf(typeof recorded === 'string' ? recorded : undefined) === projectOf(wanted);
}

/**
 * The endpoint names a project's runs give its algorithms (the names step 10 uses: the project's
 * deployment prefix and each algorithm), so a listing of one project never shows another's.
 */
export async function projectEndpointNames(ctx: CliContext, project: string): Promise<Set<string>> {
  const loaded = (await loadProject(ctx.config.projectsDir, project)).project;
  const prefix = projectTrainingConfig(loaded, { bucket: ctx.config.bucket, taskQueues: taskQueuesOf(ctx.config) }).deployment?.endpointNamePrefix ?? endpointNamePrefix(loaded.name);
  return new Set(loaded.algorithms.map((a) => endpointName(prefix, a.name)));
}
