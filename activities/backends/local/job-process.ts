import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isNotFound, isProcessAlive } from './fs-utils';

/**
 * The job's process: detached in its own session under a tiny shell that records the exit code, so
 * the job outlives the worker that started it (and a Ctrl-C in the worker's terminal) and any later
 * caller can finish its bookkeeping from the files it leaves in the job dir.
 */

export const EXIT_CODE_FILE = 'exit_code';
const LOG_FILE = 'logs.txt';

/** The shell writes the exit code atomically (temp file + mv), so a reader never sees half of it. */
const WRAPPER = `"$@" >"$MLOPS_JOB_DIR/${LOG_FILE}" 2>&1; code=$?; echo $code >"$MLOPS_JOB_DIR/${EXIT_CODE_FILE}.tmp" && mv "$MLOPS_JOB_DIR/${EXIT_CODE_FILE}.tmp" "$MLOPS_JOB_DIR/${EXIT_CODE_FILE}"`;

/** Starts `command` for the job in `dir`; returns its pid (the leader of the job's process group). */
export function spawnJobProcess(dir: string, command: string[], env: NodeJS.ProcessEnv): number {
  const child = spawn('/bin/sh', ['-c', WRAPPER, 'mlops-job', ...command], {
    cwd: dir,
    detached: true,
    stdio: 'ignore',
    env: { ...env, MLOPS_JOB_DIR: dir },
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start job process for ${path.basename(dir)}`);
  return child.pid;
}

export function jobLogFile(dir: string): string {
  return path.join(dir, LOG_FILE);
}

/** Whether the job's process has ended and recorded its exit code. */
export function hasExited(dir: string): Promise<boolean> {
  return exists(path.join(dir, EXIT_CODE_FILE));
}

/** The recorded exit code and when it was written (the job's end). */
export async function exitStatus(dir: string): Promise<{ code: number; endTime: string }> {
  const file = path.join(dir, EXIT_CODE_FILE);
  const code = Number((await fs.readFile(file, 'utf8')).trim());
  const endTime = (await fs.stat(file)).mtime.toISOString();
  return { code, endTime };
}

export function isJobProcessAlive(pid: number): boolean {
  return isProcessAlive(pid);
}

/** Sends SIGTERM to the job's whole process group (the shell and the algorithm under it). */
export function terminateJobProcess(pid: number): void {
  if (!isProcessAlive(pid)) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
