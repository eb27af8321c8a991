import { promises as fs } from 'node:fs';
import path from 'node:path';
import { runChecks, type HealthCheck } from '../client/shared/health';

export interface HealthProbeOptions {
  /** MLOPS_WORKER_READY_FILE: holds this process's pid; its mtime is the last time every check passed. */
  readyFile: string;
  checks: HealthCheck[];
  everyMs: number;
  log: (message: string) => void;
}

/**
 * The worker's health, for a process without an HTTP port: the ready file is rewritten after every
 * round of checks that all pass (Temporal answers for the namespace, the job runner is healthy), so
 * its age says how long ago the worker last reached what it needs. docker-compose.yml's health
 * check fails once it is older than a few rounds; `mlops stack up` reads the pid in it.
 */
export async function startHealthProbe(options: HealthProbeOptions): Promise<{ stop: () => void }> {
  await fs.mkdir(path.dirname(options.readyFile), { recursive: true });
  let failing: string | undefined;
  let running = false;
  const round = async () => {
    if (running) return;
    running = true;
    try {
      const results = await runChecks(options.checks);
      const failed = Object.entries(results).filter(([, r]) => r !== 'ok');
      if (failed.length === 0) {
        await writeAtomically(options.readyFile, String(process.pid));
        if (failing !== undefined) options.log(`health: every check passes again`);
        failing = undefined;
        return;
      }
      const summary = failed.map(([name, reason]) => `${name}: ${reason}`).join('; ');
      if (summary !== failing) options.log(`health: ${summary}`);
      failing = summary;
    } finally {
      running = false;
    }
  };
  await round();
  const timer = setInterval(() => void round().catch((err: unknown) => options.log(`health: ${err instanceof Error ? err.message : String(err)}`)), options.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}
