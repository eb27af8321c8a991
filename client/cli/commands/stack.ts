import type { Command } from 'commander';
import { stackDown, stackStatus, stackUp } from '../../stack/stack';
import type { CliContext } from '../context';
import { printJson, printTable } from '../output';

export function registerStackCommands(program: Command, ctx: CliContext): void {
  const stack = program.command('stack').description('run the local stack in the background: Temporal dev server with its UI, worker, endpoint host, gateway, webhook, dashboard');

  stack
    .command('up')
    .description('start the local stack (idempotent); data lives in MLOPS_HOME (default ./.mlops)')
    .option('--json', 'print the services as JSON')
    .action(async (options: { json?: boolean }) => {
      const services = await stackUp(ctx.config, (m) => console.error(m));
      if (options.json) printJson({ services });
      else printServices(services);
    });

  stack
    .command('down')
    .description('stop the local stack gracefully (workers first); data is kept')
    .option('--json', 'print the services (all stopped) as JSON')
    .action(async (options: { json?: boolean }) => {
      await stackDown(ctx.config, (m) => console.error(m));
      if (options.json) printJson({ home: ctx.config.home, services: await stackStatus(ctx.config) });
    });

  stack
    .command('status')
    .description('show each service with its state, pid and URL')
    .option('--json', 'print the services as JSON')
    .action(async (options: { json?: boolean }) => {
      const services = await stackStatus(ctx.config);
      if (options.json) printJson({ home: ctx.config.home, services });
      else printServices(services);
    });
}

function printServices(services: Awaited<ReturnType<typeof stackStatus>>): void {
  printTable(
    ['SERVICE', 'STATE', 'PID', 'URL'],
    services.map((s) => [s.name, s.state, s.pid, s.url]),
  );
}
