/**
 * Projects: many models on one stack, nothing shared by accident. Every name a project's runs
 * create (registry group, parameters, endpoints, capture, ground truth, bookmarks, schedules,
 * lifecycle workflows) is derived here from the project and the model family, so no two
 * projects can meet in one.
 *
 * The demo project (`used-cars`) keeps the names it had before projects existed (`mlops-xgboost`,
 * `/mlops/xgboost/champion/...`, `lifecycle/xgboost`): executions running when a stack is upgraded,
 * and the champions they exported, go on under the same names (docs/decisions/0021). Every other
 * project's names carry the project. Pure functions: workflows import this file.
 */
import type { ModelFamily } from './types/model';
import { parseS3Uri, s3Uri } from './uri';

/** The project of the repository's demo (the used-car data); what every command uses without `--project`. */
export const DEFAULT_PROJECT = 'used-cars';

/**
 * A project name: lower-case letters, digits and inner hyphens, 2-24 characters. Short enough that
 * `mlops-<project>-<family>` (an endpoint) stays within SageMaker's 63 characters for any family
 * of up to 32, and without `--`, which would let two project/family pairs spell one name.
 */
export const PROJECT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,22}[a-z0-9]$/;

export function projectNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !PROJECT_NAME_PATTERN.test(name)) return 'must be 2-24 lower-case letters, digits or inner hyphens, starting with a letter';
  if (name.includes('--')) return "must not contain '--'";
  return undefined;
}

/** The project a run or record belongs to: absent means the demo project (everything recorded before projects). */
export function projectOf(project: string | undefined | null): string {
  return project || DEFAULT_PROJECT;
}

/** Whether the names of this project are the demo's unscoped ones. */
export function isDefaultProject(project: string | undefined | null): boolean {
  return projectOf(project) === DEFAULT_PROJECT;
}

/** `<family>` in the demo project, `<project>/<family>` elsewhere: a model's key in the registry and its paths. */
export function modelKey(project: string | undefined | null, family: ModelFamily): string {
  return isDefaultProject(project) ? family : `${projectOf(project)}/${family}`;
}

/** `<family>` / `<project>-<family>`: a model's key where no `/` may appear (schedule ids, file names). */
export function modelSlug(project: string | undefined | null, family: ModelFamily): string {
  return isDefaultProject(project) ? family : `${projectOf(project)}-${family}`;
}

/** The endpoint-name prefix of a project's models (`mlops`, `mlops-<project>`): endpoints are `<prefix>-<family>`. */
export function endpointNamePrefix(project: string | undefined | null, base = 'mlops'): string {
  return isDefaultProject(project) ? base : `${base}-${projectOf(project)}`;
}

/**
 * Where a project keeps what would be under `rootUri` (`s3://<bucket>/ground-truth`): the root
 * itself for the demo project, `s3://<bucket>/projects/<project>/ground-truth` for the others. Under
 * a prefix of their own, so a listing of the demo's root never reaches another project's objects.
 */
export function projectUri(rootUri: string, project: string | undefined | null): string {
  if (isDefaultProject(project)) return rootUri;
  const { bucket, key } = parseS3Uri(rootUri);
  return s3Uri(bucket, `projects/${projectOf(project)}/${key}`.replace(/\/+$/, ''));
}
