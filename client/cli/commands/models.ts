import type { Command } from 'commander';
import { parameterNames } from '../../../common/artifacts';
import { isModelFamily, MODEL_FAMILIES } from '../../../common/types/model';
import { UsageError } from '../../training/start-training';
import type { CliContext } from '../context';
import { fmtNumber, printJson, printTable } from '../output';

export function registerModelsCommands(program: Command, ctx: CliContext): void {
  const models = program.command('models').description('the model registry');

  models
    .command('list')
    .description('every registered model version with its status, metrics and decision')
    .option('--family <family>', `only one family (${MODEL_FAMILIES.join(', ')})`)
    .option('--json', 'print JSON')
    .action(async (options: { family?: string; json?: boolean }) => {
      if (options.family && !isModelFamily(options.family)) throw new UsageError(`--family: unknown model family '${options.family}' (known: ${MODEL_FAMILIES.join(', ')})`);
      const family = options.family && isModelFamily(options.family) ? options.family : undefined;
      const versions = await ctx.backend.registry.listVersions(family);
      const champions = new Map<string, number>();
      for (const f of MODEL_FAMILIES) {
        const p = await ctx.backend.parameters.get(parameterNames.champion(f, 'model-version'));
        if (p) champions.set(f, Number(p.value));
      }
      const rows = versions.map((v) => ({ ...v, champion: champions.get(v.family) === v.version }));
      if (options.json) return printJson({ models: rows });
      if (rows.length === 0) return console.log('no model versions yet: train with `mlops train`');
      printTable(
        ['FAMILY', 'VERSION', 'STATUS', 'CHAMPION', 'VAL RMSE', 'VAL MAE', 'VAL R2', 'TEST RMSE', 'CREATED', 'DECISION'],
        rows.map((v) => [
          v.family,
          v.version,
          v.status,
          v.champion ? 'yes' : '',
          fmtNumber(v.metrics?.validation.rmse),
          fmtNumber(v.metrics?.validation.mae),
          fmtNumber(v.metrics?.validation.r2, 4),
          fmtNumber(v.metrics?.test.rmse),
          v.createdAt,
          v.decision?.reason ?? '',
        ]),
      );
    });
}
