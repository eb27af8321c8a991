import type { Command } from 'commander';
import { parameterNames } from '../../../common/artifacts';
import { isModelFamily, MODEL_FAMILIES } from '../../../common/types/model';
import { readLifecycleState } from '../../lifecycle/ensure';
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
          fmtNumber(v.metrics?.test?.rmse),
          v.createdAt,
          v.decision?.reason ?? '',
        ]),
      );
    });

  models
    .command('show')
    .description("one family: its registry versions and its lifecycle's state (policy, champion, alerts, retraining, cool-down)")
    .argument('<family>', `the model family (${MODEL_FAMILIES.join(', ')})`)
    .option('--json', 'print JSON')
    .action(async (family: string, options: { json?: boolean }) => {
      if (!isModelFamily(family)) throw new UsageError(`unknown model family '${family}' (known: ${MODEL_FAMILIES.join(', ')})`);
      const versions = await ctx.backend.registry.listVersions(family);
      const champion = await ctx.backend.parameters.get(parameterNames.champion(family, 'model-version'));
      const lifecycle = await readLifecycleState(await ctx.client(), family);
      if (options.json) return printJson({ family, championVersion: champion ? Number(champion.value) : null, versions, lifecycle: lifecycle ?? null });
      console.log(`${family}: ${versions.length} version(s)${champion ? `, champion version ${champion.value}` : ', no champion'}`);
      if (versions.length > 0) {
        printTable(
          ['VERSION', 'STATUS', 'VAL RMSE', 'TEST RMSE', 'CREATED', 'DECISION'],
          versions.map((v) => [v.version, v.status, fmtNumber(v.metrics?.validation.rmse), fmtNumber(v.metrics?.test?.rmse), v.createdAt, v.decision?.reason ?? '']),
        );
      }
      if (!lifecycle) return console.log(`lifecycle: not running (workflow lifecycle/${family})`);
      const c = lifecycle.counts;
      console.log(`lifecycle: policy ${lifecycle.policy}`);
      if (lifecycle.champion) console.log(`  champion: version ${lifecycle.champion.version} (${lifecycle.champion.modelName}) since ${lifecycle.champion.at}`);
      console.log(`  alerts: ${c.alerts} (${c.suppressedByCoolDown} during cool-down, ${c.notifiedOnly} notify only); retrainings started: ${c.retrainingsStarted}, failed to start: ${c.retrainingFailures}`);
      console.log(`  approvals: ${c.approvalsRequested} requested, ${c.approved} approved, ${c.rejected} rejected, ${c.approvalTimeouts} timed out`);
      if (lifecycle.lastRetraining) console.log(`  last retraining: ${lifecycle.lastRetraining.workflowId} at ${lifecycle.lastRetraining.startedAt} (${lifecycle.lastRetraining.reason})`);
      if (lifecycle.coolDownUntil) console.log(`  cool-down until: ${lifecycle.coolDownUntil}`);
      if (lifecycle.pendingApproval) console.log(`  pending approval: requested ${lifecycle.pendingApproval.requestedAt}, deadline ${lifecycle.pendingApproval.deadline}: ${lifecycle.pendingApproval.reason}`);
      const recent = lifecycle.recentAlerts.slice(-5);
      if (recent.length > 0) {
        printTable(
          ['DETECTED', 'KINDS', 'MODEL VERSION', 'VIOLATIONS', 'REPORT'],
          recent.map((a) => [a.detectedAt, a.kinds.join(','), a.modelVersion, a.violations.length, a.reportUri]),
        );
      }
    });
}
