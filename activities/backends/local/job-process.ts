import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isNotFound } from './fs-utils';

/**
 * The job's process: detached in its own session under a tiny shell that records the exit code, so
 * the job outlives a Ctrl-C in its starter's terminal, a stop can end its whole process group, and
 * any later caller can finish its bookkeeping from the files it leaves in the job dir.
 */

export const EXIT_CODE_FILE = 'exit_code';
const LOG_FILE = 'logs.txt';
/** Written by the job's runner when it saw the process end without an exit code (killed by a signal). */
export const DIED_FILE = 'died';

/** The shell writes the exit code atomically (temp file + mv), so a reader never sees half of it. */
const WRAPPER = `"$@" >"$MLOPS_JOB_DIR/${LOG_FILE}" 2>&1; code=$?; echo $code >"$MLOPS_JOB_DIR/${EXIT_CODE_FILE}.tmp" && mv "$MLOPS_JOB_DIR/${EXIT_CODE_FILE}.tmp" "$MLOPS_JOB_DIR/${EXIT_CODE_FILE}"`;

/** Starts `command` for the job in `dir`; the child is the leader of the job's process group. */
export function spawnJobProcess(dir: string, command: string[], env: NodeJS.ProcessEnv): ChildProcess & { pid: number } {
  const child = spawn('/bin/sh', ['-c', WRAPPER, 'mlops-job', ...command], {
    cwd: dir,
    detached: true,
    stdio: 'ignore',
    env: { ...env, MLOPS_JOB_DIR: dir },
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start job process for ${path.basename(dir)}`);
  return child as ChildProcess & { pid: number };
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

/** Records that the job's process (spawn `spawnId`) ended without an exit code, and how. */
export async function recordDeath(dir: string, spawnId: string, how: string): Promise<void> {
  await fs.writeFile(path.join(dir, DIED_FILE), JSON.stringify({ spawnId, how, at: new Date().toISOString() }));
}

/** How the process of spawn `spawnId` died without an exit code, if its runner saw it. */
export async function deathOf(dir: string, spawnId: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, DIED_FILE), 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    const doc = JSON.parse(text) as { spawnId?: unknown; how?: unknown };
    return doc.spawnId === spawnId && typeof doc.how === 'string' ? doc.how : undefined;
  } catch {
    return undefined;
  }
}

/** What a process leaves in the job dir besides its container tree, cleared before it is started again. */
export async function clearProcessFiles(dir: string, attempt: number): Promise<void> {
  // The lost attempt's log is kept beside the new one (what it printed before its runner went away).
  await fs.rename(path.join(dir, LOG_FILE), path.join(dir, `logs.lost-${attempt}.txt`)).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
  for (const file of [EXIT_CODE_FILE, `${EXIT_CODE_FILE}.tmp`, DIED_FILE]) await fs.rm(path.join(dir, file), { force: true });
}

/** Sends SIGTERM to the process group led by `pid` (the shell and the algorithm under it). */
export function signalJobGroup(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(-pid, signal);
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
