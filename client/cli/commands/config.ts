import type { Command } from 'commander';
import { describeConfig } from '../../../common/config/parse';
import type { CliContext } from '../context';
import { printJson } from '../output';

export function registerConfigCommand(program: Command, ctx: CliContext): void {
  program
    .command('config')
    .description('print the effective configuration (MLOPS_* environment variables over mlops.config.json; secrets masked)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const described = describeConfig(ctx.config);
      if (options.json) return printJson(described);
      for (const [k, v] of Object.entries(described)) console.log(`${k}=${v}`);
    });
}
