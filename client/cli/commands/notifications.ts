import type { Command } from 'commander';
import type { CliContext } from '../context';
import { positiveInt } from '../options';
import { printJson } from '../output';

export function registerNotificationsCommand(program: Command, ctx: CliContext): void {
  program
    .command('notifications')
    .description('the notification outbox, oldest first')
    .option('--limit <n>', 'how many of the most recent', positiveInt, 20)
    .option('--json', 'print JSON')
    .action(async (options: { limit: number; json?: boolean }) => {
      const items = await ctx.backend.notifier.recent(options.limit);
      if (options.json) return printJson({ notifications: items });
      if (items.length === 0) return console.log('the outbox is empty');
      for (const n of items) {
        console.log(`${n.time}  ${n.severity.toUpperCase().padEnd(7)} ${n.kind}  ${n.subject}`);
        for (const line of n.message.split('\n')) console.log(`    ${line}`);
      }
    });
}
