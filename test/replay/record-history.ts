/**
 * Records the history of a finished run for the replay test:
 *   npm run history:record -- <workflowId> <case-name>
 * writes test/replay/histories/<workflowType>-<case-name>.json. Record a history of every branch
 * before changing a released workflow, then guard the change with `patched()`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseConfig } from '../../common/config/parse';
import { connectClient } from '../../client/temporal';

async function main(): Promise<void> {
  const [workflowId, caseName] = process.argv.slice(2);
  if (!workflowId || !caseName || !/^[a-z0-9-]+$/.test(caseName)) {
    console.error('usage: npm run history:record -- <workflowId> <case-name (a-z, 0-9, -)>');
    process.exit(2);
  }
  const config = parseConfig();
  const { client, connection } = await connectClient(config);
  try {
    const handle = client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    if (description.status.name === 'RUNNING') throw new Error(`${workflowId} is still running; record finished runs only`);
    // The CLI's JSON is the format Worker.runReplayHistory reads as it is.
    const { stdout } = await promisify(execFile)(
      config.temporalCli,
      ['workflow', 'show', '--address', config.temporalAddress, '--namespace', config.namespace, '--workflow-id', workflowId, '--run-id', description.runId, '--output', 'json'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const history = JSON.parse(stdout) as { events?: unknown[] };
    const file = path.join(__dirname, 'histories', `${description.type}-${caseName}.json`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `${JSON.stringify(history, null, 1)}\n`);
    console.log(`recorded ${history.events?.length ?? 0} events of ${workflowId} (${description.status.name}) to ${path.relative(process.cwd(), file)}`);
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
