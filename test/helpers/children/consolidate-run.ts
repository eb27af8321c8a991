/**
 * One monitoring run's consolidation in a process of its own, for tests of the bookmark across
 * processes:
 *
 *   node --import tsx consolidate-run.ts '<json: { home, runKey, now, syncDir, model, config }>'
 *
 * After its first read of the bookmark it writes `<syncDir>/<runKey>.read` and waits for
 * `<syncDir>/go` before it writes: the test opens the gate once every process has read, so all of
 * them write against the same bookmark. Prints `result <json>` (the consolidation and the
 * conditional writes it made).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createLocalBackend } from '../../../activities/backends/local';
import { createConsolidationActivities, type MonitoredModel } from '../../../activities/monitoring/consolidate';
import type { MonitoringConfig } from '../../../common/types/monitoring';
import { pausingObjectStore } from '../pausing-object-store';

interface Input {
  home: string;
  runKey: string;
  now: string;
  syncDir: string;
  model: MonitoredModel;
  config: MonitoringConfig;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '') as Input;
  const backend = createLocalBackend({ home: input.home, python: 'python3', algorithmsDir: path.join(input.home, 'none'), endpointHostUrl: 'http://127.0.0.1:1' });
  const gate = path.join(input.syncDir, 'go');
  const { store, log } = pausingObjectStore(backend.objectStore, async (_uri, n) => {
    if (n !== 1) return;
    await fs.writeFile(path.join(input.syncDir, `${input.runKey}.read`), '');
    while (!(await fs.stat(gate).then(() => true, () => false))) await new Promise((r) => setTimeout(r, 10));
  });
  const activities = createConsolidationActivities({ ...backend, objectStore: store });
  const result = await activities.consolidateCapture({ family: input.model.family, model: input.model, config: input.config, runKey: input.runKey, now: input.now });
  const files = result.realtimePrefix ? await backend.objectStore.list(result.realtimePrefix) : [];
  process.stdout.write(`result ${JSON.stringify({ filesRead: result.filesRead, files: files.map((u) => u.slice(u.lastIndexOf('/') + 1)), writes: log.writes, reads: log.reads.length })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
