import type { Client } from '@temporalio/client';
import { CliContext } from '../../client/cli/context';
import { runCli } from '../../client/cli/run';
import type { Config } from '../../common/config/schema';

/**
 * A CLI context with a test's own configuration (its data dir and ports), nothing read from the
 * environment, and optionally a client of the test's making (a fake in unit tests).
 */
export class TestCliContext extends CliContext {
  constructor(
    private readonly testConfig: Config,
    private readonly testClient?: Client,
  ) {
    super();
  }

  override get config(): Config {
    return this.testConfig;
  }

  override async client(): Promise<Client> {
    return this.testClient ?? super.client();
  }
}

/**
 * Runs `mlops ARGS` in this process (the program, its error mapping and exit code, as the binary
 * runs them) and captures what it writes to stdout and stderr.
 */
export async function runInProcess(ctx: CliContext, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await runCli(['node', 'mlops', ...args], ctx);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
