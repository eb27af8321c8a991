import type { Command } from 'commander';
import type { CliContext } from '../context';
import { positiveInt } from '../options';
import { printJson } from '../output';
import { checkProject, PROJECT_FILTER_HELP, sameProject } from '../project-option';

/** How far back `--project` looks in the outbox for its project's most recent notifications. */
const PROJECT_SCAN = 10_000;

export function registerNotificationsCommand(program: Command, ctx: CliContext): void {
  program
    .command('notifications')
    .description('the notification outbox, oldest first')
    .option('--project <name>', `${PROJECT_FILTER_HELP}: its runs name it in each notification`)
    .option('--limit <n>', 'how many of the most recent', positiveInt, 20)
    .option('--json', 'print JSON')
    .action(async (options: { project?: string; limit: number; json?: boolean }) => {
      const { project } = options;
      await checkProject(ctx, project);
      // A project's runs name it in their notifications' details (the demo's name none).
      const items =
        project === undefined
          ? await ctx.backend.notifier.recent(options.limit)
          : (await ctx.backend.notifier.recent(PROJECT_SCAN)).filter((n) => sameProject(n.details?.project, project)).slice(-options.limit);
      if (options.json) return printJson({ notifications: items });
      if (items.length === 0) return console.log('the outbox is empty');
      for (const n of items) {
        console.log(`${n.time}  ${n.severity.toUpperCase().padEnd(7)} ${n.kind}  ${n.subject}`);
        for (const line of n.message.split('\n')) console.log(`    ${line}`);
      }
    });
}
