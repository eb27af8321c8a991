import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../../../common/config/parse';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

/** tsx's loader by absolute URL: the process runs in a temp dir, where `--import tsx` would not resolve. */
const TSX = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** Starts the gateway process as `mlops stack up` does, in `cwd`; it must fail before listening. */
async function startGateway(cwd: string, combiner: string): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(process.execPath, ['--import', TSX, path.join(REPO_ROOT, 'client', 'gateway', 'main.ts')], {
      cwd,
      env: { ...process.env, MLOPS_CONFIG_FILE: 'none', MLOPS_HOME: path.join(cwd, 'home'), MLOPS_PORT_BASE: '19233', MLOPS_GATEWAY_COMBINER: combiner },
      timeout: 120_000,
    });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code?: number; killed?: boolean; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stderr: `${e.killed ? '(killed: no exit within 120 s) ' : ''}${e.stderr ?? ''}` };
  }
}

describe('client/gateway/main: the operator’s module combiner is loaded at start', function () {
  this.timeout(180_000);
  const cases: { situation: string; dir: string; source?: string; rule: RegExp }[] = [
    { situation: 'the module file is missing', dir: 'missing', rule: /cannot be loaded: no such file$/ },
    { situation: 'the module exports no function', dir: 'no-export', source: 'export const weights = [1, 2];\n', rule: /exports no 'combine' or default function$/ },
    { situation: 'the module throws at import', dir: 'throws', source: "throw new Error('no weights');\n", rule: /cannot be loaded: no weights$/ },
  ];
  let tmp: string;
  const results = new Map<string, { code: number; stderr: string }>();

  // The three starts run side by side (each is a node process compiling the gateway).
  before(async () => {
    tmp = await createTempDir('mlops-gateway-main-');
    await Promise.all(
      cases.map(async (c) => {
        const cwd = path.join(tmp, c.dir);
        await fs.mkdir(cwd);
        if (c.source) await fs.writeFile(path.join(cwd, 'combiner.mjs'), c.source);
        results.set(c.dir, await startGateway(cwd, 'module:./combiner.mjs'));
      }),
    );
  });

  after(async () => {
    await removeTempDir(tmp);
  });

  for (const c of cases) {
    it(`when ${c.situation}, then the gateway exits 2 with one line naming the setting and the file, no stack trace`, () => {
      const { code, stderr } = results.get(c.dir)!;

      assert.equal(code, 2, stderr);
      const lines = stderr.trim().split('\n');
      assert.equal(lines[0], 'invalid configuration:');
      assert.equal(lines.length, 2, stderr);
      assert.ok(lines[1]!.startsWith(`  - MLOPS_GATEWAY_COMBINER: the combiner module ${path.join(tmp, c.dir, 'combiner.mjs')} `), stderr);
      assert.match(lines[1]!, c.rule);
      assert.doesNotMatch(stderr, /\n\s+at /);
    });
  }
});
