import type { Command } from 'commander';
import { readChampion } from '../../../activities/registry/champion-store';
import { isModelFamily, MODEL_FAMILIES } from '../../../common/types/model';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { LifecycleSettingsInput, LifecycleState } from '../../../common/types/lifecycle';
import type { RetrainingPolicy } from '../../../common/types/monitoring';
import { configureLifecycleUpdate, validateLifecycleSettings } from '../../../workflows/lifecycle/lifecycle.messages';
import { ensureLifecycle, readLifecycleState } from '../../../services/lifecycle/ensure';
import { UsageError } from '../../../services/usage-error';
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
        const champion = await readChampion(ctx.backend.parameters, f);
        if (champion) champions.set(f, champion.modelVersion);
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
      const champion = await readChampion(ctx.backend.parameters, family);
      const lifecycle = await readLifecycleState(await ctx.client(), family);
      if (options.json) return printJson({ family, championVersion: champion?.modelVersion ?? null, versions, lifecycle: lifecycle ?? null });
      console.log(`${family}: ${versions.length} version(s)${champion ? `, champion version ${champion.modelVersion}` : ', no champion'}`);
      if (versions.length > 0) {
        printTable(
          ['VERSION', 'STATUS', 'VAL RMSE', 'TEST RMSE', 'CREATED', 'DECISION'],
          versions.map((v) => [v.version, v.status, fmtNumber(v.metrics?.validation.rmse), fmtNumber(v.metrics?.test?.rmse), v.createdAt, v.decision?.reason ?? '']),
        );
      }
      if (!lifecycle) return console.log(`lifecycle: not running (workflow lifecycle/${family})`);
      printLifecycleState(lifecycle);
    });

  models
    .command('policy')
    .description("change the family's retraining policy, cool-down, training data or approval timeout (starts its lifecycle if needed)")
    .argument('<family>', `the model family (${MODEL_FAMILIES.join(', ')})`)
    .option('--policy <policy>', 'what a drift alert does: notify, retrain or approve-then-retrain')
    .option('--cool-down <duration>', "after a retraining starts, alerts within this time only notify (e.g. '24 hours')")
    .option('--training-data <uri>', "s3:// URI of the data retraining runs on ('champion': the data the champion was trained on)")
    .option('--approval-timeout <duration>', "how long approve-then-retrain waits for a decision (e.g. '3 days')")
    .requiredOption('--by <name>', 'who changes it')
    .option('--reason <text>', 'why')
    .option('--json', 'print JSON')
    .action(async (family: string, options: { policy?: string; coolDown?: string; trainingData?: string; approvalTimeout?: string; by: string; reason?: string; json?: boolean }) => {
      if (!isModelFamily(family)) throw new UsageError(`unknown model family '${family}' (known: ${MODEL_FAMILIES.join(', ')})`);
      const settings: LifecycleSettingsInput = {
        by: options.by,
        ...(options.policy !== undefined ? { policy: options.policy as RetrainingPolicy } : {}),
        ...(options.coolDown !== undefined ? { coolDown: options.coolDown } : {}),
        ...(options.approvalTimeout !== undefined ? { approvalTimeout: options.approvalTimeout } : {}),
        ...(options.trainingData !== undefined ? { trainingDataUri: options.trainingData === 'champion' ? null : options.trainingData } : {}),
        ...(options.reason ? { reason: options.reason } : {}),
      };
      try {
        validateLifecycleSettings(settings);
      } catch (err) {
        throw new UsageError((err as Error).message.replace(/^policy/, '--policy').replace(/^training data/, '--training-data').replace(/^(cool-down|approval-timeout)/, '--$1'));
      }
      const handle = await ensureLifecycle(await ctx.client(), ctx.config, family);
      let state: LifecycleState;
      try {
        state = await handle.executeUpdate(configureLifecycleUpdate, { args: [settings] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw new UsageError(`the settings were not accepted: ${err.cause?.message ?? err.message}`);
        throw err;
      }
      if (options.json) return printJson({ family, lifecycle: state });
      console.log(`${family}:`);
      printSettings(state);
    });
}

function printSettings(lifecycle: LifecycleState): void {
  const settings = [`policy ${lifecycle.policy}`];
  if (lifecycle.coolDown) settings.push(`cool-down ${lifecycle.coolDown}`);
  if (lifecycle.approvalTimeout) settings.push(`approval timeout ${lifecycle.approvalTimeout}`);
  settings.push(`retrains on ${lifecycle.trainingDataUri ?? "the champion's training data"}`);
  console.log(`lifecycle: ${settings.join(', ')}`);
  const change = lifecycle.lastSettingsChange;
  if (change) console.log(`  settings changed by ${change.by} at ${change.at}${change.reason ? `: ${change.reason}` : ''}`);
}

/** A lifecycle's settings, champion, counts, retraining, cool-down, pending approval and recent alerts (`models show`, `runs show`). */
export function printLifecycleState(lifecycle: LifecycleState): void {
  const c = lifecycle.counts;
  printSettings(lifecycle);
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
}
