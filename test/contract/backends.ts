import path from 'node:path';
import { REPO_ROOT } from '../../common/config/parse';
import { createLocalBackend } from '../../activities/backends/local';
import type { Backend } from '../../activities/backends/types';
import { createMotoBackend, startMoto, type MotoBackend, type MotoServer } from '../helpers/moto';
import { PYTHON } from '../helpers/temporal-env';
import { createTempDir, removeTempDir } from '../helpers/temp-dir';

export type BackendKind = 'local' | 'aws';

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
}

export interface ContractOptions {
  /** local: writes fake algorithm modules into the given dir, used instead of the repo's algorithms/. */
  localAlgorithms?: (dir: string) => Promise<void>;
}

/**
 * Runs the same suite against the local backend (temp data dir) and the aws backend (the real SDK
 * clients over HTTP against moto on loopback). Every test gets a backend of its own, built fresh in
 * `beforeEach` (a new data dir; moto reset with its bucket and topic created again), so a test sets
 * up what it needs, passes alone (`--grep`) and in any order. `body` gets a getter: the target
 * exists once the `beforeEach` hook ran.
 */
export function contractSuite(title: string, body: (target: () => ContractTarget, kind: BackendKind) => void, options: ContractOptions = {}): void {
  for (const kind of ['local', 'aws'] as const) {
    describe(`${title} [${kind}]`, function () {
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
          target = { kind, backend, bucket: 'mlops', home };
        } else {
          const moto = await startMoto();
          await moto.reset();
          // Small S3 list pages, so listing a few dozen objects already crosses pages.
          const aws = await createMotoBackend(moto, { bucket: 'mlops', s3ListPageSize: 7 });
          target = { kind, backend: aws.backend, bucket: aws.bucket, moto, aws };
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
      }, kind);
    });
  }
}
