import path from 'node:path';
import { REPO_ROOT } from '../../common/config/parse';
import { createLocalBackend } from '../../activities/backends/local';
import type { Backend } from '../../activities/backends/types';
import { endpointName } from '../../common/ids';
import { DEFAULT_PROJECT, endpointNamePrefix, isDefaultProject, modelKey, projectOf, projectUri } from '../../common/project';
import { createMotoBackend, startMoto, type MotoBackend, type MotoServer } from '../helpers/moto';
import { PYTHON } from '../helpers/temporal-env';
import { createTempDir, removeTempDir } from '../helpers/temp-dir';

export type BackendKind = 'local' | 'aws';

/**
 * The second project the project-scoped suites run for (issue 15): the longest name a project may
 * have (24 characters), so its registry groups, parameters, endpoints and prefixes are the longest
 * the suites can produce, and SageMaker's name rules (moto) see them.
 */
export const SECOND_PROJECT = 'a-second-project-24-long';

/** The demo project (its names as before projects) and the second one (names that carry it). */
export const BOTH_PROJECTS = [DEFAULT_PROJECT, SECOND_PROJECT] as const;

/** The names one project's runs give what they create (common/project.ts, common/ids.ts). */
export interface ProjectNames {
  /** The project as a registry input or record carries it: absent for the demo project. */
  field: { project?: string };
  /** `<family>` / `<project>/<family>`. */
  key(family: string): string;
  endpoint(family: string): string;
  /** A root URI (`s3://mlops/capture`) as the project has it. */
  uri(rootUri: string): string;
}

export function projectNames(project: string): ProjectNames {
  return {
    field: isDefaultProject(project) ? {} : { project: projectOf(project) },
    key: (family) => modelKey(project, family),
    endpoint: (family) => endpointName(endpointNamePrefix(project), family),
    uri: (rootUri) => projectUri(rootUri, project),
  };
}

/** What one contract suite sees of the backend under test. */
export interface ContractTarget {
  kind: BackendKind;
  backend: Backend;
  /** The bucket the backend was set up with (exists on both). */
  bucket: string;
  /** local: the data dir. */
  home?: string;
  /** aws: the emulator and what was created in it. */
  moto?: MotoServer;
  aws?: MotoBackend;
  /** The project whose names the suite uses, and another project on the same backend (to check the two never meet). */
  project: string;
  names: ProjectNames;
  other: string;
  otherNames: ProjectNames;
}

export interface ContractOptions {
  /** local: writes fake algorithm modules into the given dir, used instead of the repo's algorithms/. */
  localAlgorithms?: (dir: string) => Promise<void>;
  /**
   * The projects to run the suite for (default: the demo project only). Only the suites whose
   * calls name a project (registry, parameters, endpoints, prefixes) run for both: the others
   * would repeat the same calls under the same names and add run time without checking more.
   */
  projects?: readonly string[];
}

/**
 * Runs the same suite against the local backend (temp data dir) and the aws backend (the real SDK
 * clients over HTTP against moto on loopback). Every test gets a backend of its own, built fresh in
 * `beforeEach` (a new data dir; moto reset with its bucket and topic created again), so a test sets
 * up what it needs, passes alone (`--grep`) and in any order. `body` gets a getter: the target
 * exists once the `beforeEach` hook ran. With `projects`, the suite runs once per backend and
 * project; the target names the project and another one sharing the backend.
 */
export function contractSuite(title: string, body: (target: () => ContractTarget, kind: BackendKind, project: string) => void, options: ContractOptions = {}): void {
  const projects = options.projects ?? [DEFAULT_PROJECT];
  const runs = (['local', 'aws'] as const).flatMap((kind) => projects.map((project) => ({ kind, project })));
  for (const { kind, project } of runs) {
    const other = project === DEFAULT_PROJECT ? SECOND_PROJECT : DEFAULT_PROJECT;
    const scoped = { project, names: projectNames(project), other, otherNames: projectNames(other) };
    describe(`${title} [${kind}${isDefaultProject(project) ? '' : `, project ${project}`}]`, function () {
      this.timeout(30_000);
      let target: ContractTarget | undefined;
      let tmp: string | undefined;
      beforeEach(async function () {
        this.timeout(60_000);
        if (kind === 'local') {
          tmp = await createTempDir('mlops-contract-');
          const home = path.join(tmp, 'home');
          let algorithmsDir = path.join(REPO_ROOT, 'algorithms');
          if (options.localAlgorithms) {
            algorithmsDir = path.join(tmp, 'algorithms');
            await options.localAlgorithms(algorithmsDir);
          }
          const backend = createLocalBackend({ home, python: PYTHON, algorithmsDir });
          target = { kind, backend, bucket: 'mlops', home, ...scoped };
        } else {
          const moto = await startMoto();
          await moto.reset();
          // Small S3 list pages, so listing a few dozen objects already crosses pages.
          const aws = await createMotoBackend(moto, { bucket: 'mlops', s3ListPageSize: 7 });
          target = { kind, backend: aws.backend, bucket: aws.bucket, moto, aws, ...scoped };
        }
      });
      afterEach(async () => {
        target = undefined;
        await removeTempDir(tmp);
        tmp = undefined;
      });
      body(() => {
        if (!target) throw new Error('contract target not set up');
        return target;
      }, kind, project);
    });
  }
}
