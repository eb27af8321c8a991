import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { forkServerEnv, forkServerFor, pythonEnvironment, stopForkServers, viaForkServer } from '../../../../../activities/backends/local/python-fork-server';
import { PYTHON } from '../../../../helpers/temporal-env';
import { createTempDir, pollUntil, removeTempDir } from '../../../../helpers/temp-dir';

describe('activities/backends/local/python-fork-server', function () {
  this.timeout(60_000);
  let tmp: string;

  beforeEach(async () => {
    tmp = await createTempDir();
  });

  afterEach(async () => {
    await stopForkServers();
    await removeTempDir(tmp);
  });

  it('when it is turned off, then there is no server and commands run as they are', () => {
    assert.equal(forkServerFor(PYTHON, false), undefined);
    assert.deepEqual(viaForkServer([PYTHON, '-m', 'x'], PYTHON, undefined), [PYTHON, '-m', 'x']);
    assert.deepEqual(forkServerEnv(undefined), {});
  });

  it('when a command is not of that interpreter, then it is not launched through the server', () => {
    const server = { socketPath: '/tmp/s', launcher: '/repo/launch.py' };
    assert.deepEqual(viaForkServer(['/usr/bin/Rscript', 'train.R'], PYTHON, server), ['/usr/bin/Rscript', 'train.R']);
    assert.deepEqual(viaForkServer([PYTHON, 'main.py', 'train'], PYTHON, server), [PYTHON, '-I', '-S', '/repo/launch.py', 'main.py', 'train']);
  });

  it('when a Python command is launched through the running server, then a fork of the server runs it with the same argv, dir and environment', async () => {
    const server = forkServerFor(PYTHON, true)!;
    assert.equal(forkServerFor(PYTHON, true), server, 'one server per interpreter and process');
    await pollUntil(async () => existsSync(server.socketPath), (up) => up, { timeoutMs: 45_000 });
    assert.equal((await fs.stat(path.dirname(server.socketPath))).mode & 0o777, 0o700, 'only this user reaches the socket');
    await fs.writeFile(path.join(tmp, 'probe.py'), 'import json, os, sys\nprint(json.dumps({"argv": sys.argv, "cwd": os.getcwd(), "ppid": os.getppid(), "x": os.environ.get("X")}))\nsys.exit(5)\n');
    const [file, ...args] = viaForkServer([PYTHON, 'probe.py', 'a'], PYTHON, server) as [string, ...string[]];
    const env = { ...pythonEnvironment(undefined), ...forkServerEnv(server), X: 'y' };
    const outcome = await promisify(execFile)(file, args, { cwd: tmp, env }).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
    );
    assert.equal(outcome.code, 5);
    const seen = JSON.parse(outcome.stdout) as { argv: string[]; cwd: string; ppid: number; x: string };
    assert.deepEqual(seen.argv, ['probe.py', 'a']);
    assert.equal(seen.cwd, await fs.realpath(tmp));
    assert.equal(seen.x, 'y');
    assert.notEqual(seen.ppid, process.pid, 'a fork of the server, not an interpreter this process started');
  });

  it('when the servers are stopped, then the socket and its dir are gone', async () => {
    const server = forkServerFor(PYTHON, true)!;
    await pollUntil(async () => existsSync(server.socketPath), (up) => up, { timeoutMs: 45_000 });
    await stopForkServers();
    assert.equal(existsSync(path.dirname(server.socketPath)), false);
  });
});
