import type { Command } from 'commander';
import type { CliContext } from '../context';
import { printJson, printTable } from '../output';
import { PROJECT_FILTER_HELP, projectEndpointNames } from '../project-option';

export function registerEndpointCommands(program: Command, ctx: CliContext): void {
  const endpoints = program.command('endpoints').description('real-time endpoints');
  endpoints
    .command('list')
    .description('every endpoint with its configuration, model version, instances and status')
    .option('--project <name>', `${PROJECT_FILTER_HELP}: the endpoints of its algorithms, mlops-<project>-<algorithm>`)
    .option('--json', 'print JSON')
    .action(async (options: { project?: string; json?: boolean }) => {
      const names = options.project === undefined ? undefined : await projectEndpointNames(ctx, options.project);
      const [all, versions] = await Promise.all([ctx.backend.hosting.listEndpoints(), ctx.backend.registry.listVersions(undefined, options.project)]);
      const list = names ? all.filter((e) => names.has(e.endpointName)) : all;
      const versionOf = new Map(versions.map((v) => [v.modelName, `${v.family} v${v.version}`]));
      const rows = list.map((e) => {
        const variant = e.variants[0];
        return {
          endpointName: e.endpointName,
          endpointConfigName: e.endpointConfigName,
          modelName: variant?.modelName ?? null,
          modelVersion: variant ? (versionOf.get(variant.modelName) ?? null) : null,
          instances: variant ? `${variant.currentInstanceCount}/${variant.desiredInstanceCount}` : '0/0',
          status: e.status,
          failureReason: e.failureReason ?? null,
          lastModifiedTime: e.lastModifiedTime,
        };
      });
      if (options.json) return printJson({ endpoints: rows });
      if (rows.length === 0) return console.log(options.project === undefined ? 'no endpoints yet: a training run with deployment creates them' : `no endpoints of project ${options.project} yet: mlops train --project ${options.project} creates them`);
      printTable(
        ['ENDPOINT', 'CONFIG', 'MODEL VERSION', 'INSTANCES', 'STATUS', 'UPDATED'],
        rows.map((r) => [r.endpointName, r.endpointConfigName, r.modelVersion, r.instances, r.status + (r.failureReason ? ` (${r.failureReason})` : ''), r.lastModifiedTime]),
      );
    });
}
