import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../common/config/parse';

/**
 * The warm Python fork server (decision 0024; algorithms/mlops_algorithms/forkserver/): one per
 * Node process and interpreter, started on first use, ending with this process (its stdin closes).
 * Processes are started through its launcher instead of `python`: with the same argv, working dir,
 * environment and standard streams, they are forks of a process that already imported numpy,
 * pandas, scipy and scikit-learn. Until the server is ready, or for anything a fork could not run
 * exactly, the launcher execs `python` itself.
 */

export const FORK_SERVER_SOCKET_ENV = 'MLOPS_FORKSERVER_SOCKET';

export interface ForkServerRef {
  socketPath: string;
  /** The launcher script, run as `python -I -S <launcher> ARGS`. */
  launcher: string;
}

/**
 * What every Python process of the local backend starts with (jobs, model servers, the fork
 * server itself): the settings libraries read at import are the same everywhere, so the server's
 * forks can serve all of them.
 */
export function pythonEnvironment(algorithmsDir: string | undefined): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG ?? 'C.UTF-8',
    ...(algorithmsDir ? { PYTHONPATH: algorithmsDir } : {}),
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    ...(process.env.OPENBLAS_CORETYPE ? { OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE } : {}),
    ...(process.env.OPENBLAS_L2_SIZE ? { OPENBLAS_L2_SIZE: process.env.OPENBLAS_L2_SIZE } : {}),
    OMP_NUM_THREADS: '1',
  };
}

interface Running {
  ref: ForkServerRef;
  child: ChildProcess;
  dir: string;
}

const servers = new Map<string, Running>();

/** The server's own code (not an algorithm: a job's PYTHONPATH may name other algorithms). */
const SERVER_DIR = path.join(REPO_ROOT, 'algorithms');

/** The fork server for `python` (started now when none runs), or undefined when it is turned off (it is on unless `enabled` is false). */
export function forkServerFor(python: string, enabled = true): ForkServerRef | undefined {
  if (!enabled) return undefined;
  const key = python;
  const running = servers.get(key);
  if (running && running.child.exitCode === null && running.child.signalCode === null) return running.ref;
  // A private dir (0700): only this user can reach the socket; short, as Unix socket paths must be.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-fork-'));
  const ref: ForkServerRef = { socketPath: path.join(dir, 'socket'), launcher: path.join(SERVER_DIR, 'mlops_algorithms', 'forkserver', 'launch.py') };
  const child = spawn(python, ['-m', 'mlops_algorithms.forkserver.server', ref.socketPath, '--remove-dir'], {
    env: { ...pythonEnvironment(SERVER_DIR), ...(process.env.MLOPS_FORKSERVER_DEBUG ? { MLOPS_FORKSERVER_DEBUG: process.env.MLOPS_FORKSERVER_DEBUG } : {}) },
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  child.on('error', () => undefined); // no interpreter: every launch falls back and says why itself
  child.once('exit', () => {
    if (servers.get(key)?.child === child) servers.delete(key);
    rmSync(dir, { recursive: true, force: true });
  });
  // Neither the server nor its pipe keeps this process alive; the pipe's end tells the server to go.
  child.unref();
  (child.stdin as Socket | null)?.unref();
  servers.set(key, { ref, child, dir });
  return ref;
}

/** `command` (a Python command line of `python`) through the fork server's launcher, else as it is. */
export function viaForkServer(command: string[], python: string, server: ForkServerRef | undefined): string[] {
  if (!server || command[0] !== python) return command;
  return [python, '-I', '-S', server.launcher, ...command.slice(1)];
}

/** The environment a launched process needs to find the server (nothing without one). */
export function forkServerEnv(server: ForkServerRef | undefined): NodeJS.ProcessEnv {
  return server ? { [FORK_SERVER_SOCKET_ENV]: server.socketPath } : {};
}

/** Stops every fork server of this process and waits until they exited (tests, graceful shutdown). */
export async function stopForkServers(): Promise<void> {
  const all = [...servers.values()];
  servers.clear();
  await Promise.all(
    all.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.stdin?.end();
        }),
    ),
  );
}

process.once('exit', () => {
  for (const { child, dir } of servers.values()) {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
