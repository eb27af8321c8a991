import type { Command } from 'commander';
import type { CliContext } from '../context';
import { printJson } from '../output';
import { checkProject } from '../project-option';

/** Whether the dashboard answers `GET /ping` within the timeout. */
async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

export function registerDashboardCommand(program: Command, ctx: CliContext): void {
  program
    .command('dashboard')
    .description('print the URL of the insights dashboard (drift, model versions, inference, scoring) and whether it answers')
    .option('--project <name>', "a URL that opens the dashboard filtered to this project (default: every project's)")
    .option('--json', 'print JSON')
    .action(async (options: { project?: string; json?: boolean }) => {
      await checkProject(ctx, options.project);
      const base = ctx.config.dashboardUrl;
      // The page reads its filters from the query string (client/dashboard/public/app.js readUrl).
      const url = options.project === undefined ? base : withProject(base, options.project);
      const up = await answers(base, 2000);
      // Exit code 3 (as for every command that finds the stack unreachable) when it does not answer.
      if (!up) process.exitCode = 3;
      if (options.json) return printJson({ url, answers: up });
      console.log(url);
      if (!up) console.error('mlops: the dashboard does not answer; start the local stack with: npx mlops stack up');
    });
}

/** The dashboard's URL with `?project=NAME`, which its page reads as the project filter. */
function withProject(base: string, project: string): string {
  const url = new URL(base);
  url.searchParams.set('project', project);
  return url.toString();
}
