import { spawn } from 'node:child_process';
import { openSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** What the stack remembers about a background service it started. */
export interface ServiceRecord {
  name: string;
  pid: number;
  startedAt: string;
  /** A string that must appear in the process's command line, so a reused pid is not mistaken for ours. */
  marker: string;
  logFile: string;
}

export async function readRecord(runDir: string, name: string): Promise<ServiceRecord | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(runDir, `${name}.json`), 'utf8')) as ServiceRecord;
  } catch {
    return undefined;
  }
}

export async function writeRecord(runDir: string, record: ServiceRecord): Promise<void> {
  await fs.mkdir(runDir, { recursive: true });
  await fs.writeFile(path.join(runDir, `${record.name}.json`), JSON.stringify(record, null, 2));
}

export async function removeRecord(runDir: string, name: string): Promise<void> {
  await fs.rm(path.join(runDir, `${name}.json`), { force: true });
}

/** True when the pid is alive and is still the process we started (checked via /proc). */
export async function isOurProcess(record: ServiceRecord): Promise<boolean> {
  try {
    process.kill(record.pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = (await fs.readFile(`/proc/${record.pid}/cmdline`, 'utf8')).split('\0').join(' ');
    return cmdline.includes(record.marker);
  } catch {
    return true; // no /proc (macOS): trust the pid
  }
}

/** Starts a detached background process with its output appended to a log file. */
export function spawnDetached(command: string, args: string[], options: { env: NodeJS.ProcessEnv; logFile: string; cwd: string }): number {
  const out = openSync(options.logFile, 'a');
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', out, out] });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return child.pid;
}

export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return check();
}

/** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
export async function stopProcess(pid: number, graceMs: number): Promise<'stopped' | 'killed' | 'not-running'> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return 'not-running';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'not-running';
  }
  if (await waitFor(async () => !alive(), graceMs, 100)) return 'stopped';
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  await waitFor(async () => !alive(), 5000, 50);
  return 'killed';
}

export async function tailFile(file: string, lines: number): Promise<string> {
  try {
    const text = await fs.readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
