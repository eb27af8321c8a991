import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { exitCodeOf } from '../../../../client/edge-errors';
import { TemporalUnavailableError } from '../../../../client/temporal';
import { REPO_ROOT, parseConfig } from '../../../../common/config/parse';
import { stackPorts } from '../../../../common/config/schema';
import { UsageError } from '../../../../services/usage-error';
import { runInProcess, TestCliContext } from '../../../helpers/cli-in-process';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

/** A port base whose gateway port nothing listens on (a port the kernel just handed out and took back). */
async function closedGatewayPortBase(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port - stackPorts(0).gateway;
}

describe('mlops exit codes (client/cli/errors, run in process)', () => {
  let dir: string;
  let ctx: TestCliContext;
  let file: string;

  beforeEach(async () => {
    dir = await createTempDir('mlops-cli-errors-');
    ctx = new TestCliContext(parseConfig({ MLOPS_HOME: dir, MLOPS_PORT_BASE: String(await closedGatewayPortBase()) }, REPO_ROOT));
    file = path.join(dir, 'cars.csv');
    await fs.writeFile(file, 'Price,Mileage\n1,2\n');
  });
  afterEach(() => removeTempDir(dir));

  for (const [uri, rule] of [
    ['s3://mlops/../cars.csv', /'\.' or '\.\.' segment/],
    ['s3://mlops/training/../../cars.csv', /'\.' or '\.\.' segment/],
    ['s3://mlops//cars.csv', /absolute path/],
    ['s3://mlops/a//cars.csv', /empty segment \('\/\/'\)/],
  ] as const) {
    it(`when data put is given the key of ${uri}, then it exits 2 with one line naming the rule, and writes nothing`, async () => {
      const result = await runInProcess(ctx, 'data', 'put', file, uri);

      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, rule);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
      await assert.rejects(fs.access(path.join(dir, 'objects', 'cars.csv')));
    });
  }

  for (const args of [['train', '--bogus'], ['runs', 'show'], ['runs', 'list', '--limit', 'abc'], ['notifications', '--limit', '0'], ['runs', 'nope'], ['runs'], ['train', '--threshold', 'high'], ['models', 'policy', 'xgboost']]) {
    it(`when commander refuses 'mlops ${args.join(' ')}', then it exits 2 before doing anything`, async () => {
      const result = await runInProcess(ctx, ...args);

      assert.equal(result.code, 2, `${result.stdout}${result.stderr}`);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    });
  }

  it('when train or score name a local file that is not there, or a broken --config, then they exit 2 before connecting to a server', async () => {
    const bad = path.join(dir, 'bad.json');
    await fs.writeFile(bad, JSON.stringify({ surprise: 1 }));
    for (const [args, message] of [
      [['train', '--data', path.join(dir, 'missing.csv')], /^mlops: --data: \S+missing\.csv is not a file/],
      [['train', '--data', file, '--config', bad], /bad\.json: \(root\): Unrecognized key/],
      [['score', path.join(dir, 'missing.csv')], /^mlops: FILE: \S+missing\.csv is not a file/],
    ] as const) {
      const result = await runInProcess(ctx, ...args);

      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });

  it('when --help is asked, then the exit code is 0', async () => {
    assert.equal((await runInProcess(ctx, '--help')).code, 0);
    const list = await runInProcess(ctx, 'runs', 'list', '--help');
    assert.equal(list.code, 0);
    assert.match(list.stdout, /Usage: mlops runs list/);
  });

  it('when the gateway does not answer, then predict exits 3 (the stack is not reachable), not 2', async () => {
    const result = await runInProcess(ctx, 'predict', file);

    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /the gateway at http:\/\/127\.0\.0\.1:\d+ is not reachable/);
  });

  it('when an error is classified, then usage is 2, an unreachable server 3 and any other failure 1', () => {
    assert.equal(exitCodeOf(new UsageError('x')), 2);
    assert.equal(exitCodeOf(new TemporalUnavailableError('127.0.0.1:1', new Error('refused'))), 3);
    assert.equal(exitCodeOf(new Error('the run failed')), 1);
  });
});
