import type { Command } from 'commander';
import { loadProject } from '../../../services/projects/project-file';
import { readChampion } from '../../../activities/registry/champion-store';
import { lifecycleWorkflowId } from '../../../common/ids';
import { DEMO_MODEL_FAMILIES as MODEL_FAMILIES, type ModelVersion } from '../../../common/types/model';
import type { GovernanceRecord } from '../../../common/types/governance';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { RollbackResult } from '../../../common/types/rollback';
import { startRollback } from '../../../services/rollback';
import { innermost } from '../../training/report';
import { temporalUiUrl } from '../../temporal';
import type { LifecycleSettingsInput, LifecycleState } from '../../../common/types/lifecycle';
import type { RetrainingPolicy } from '../../../common/types/monitoring';
import { configureLifecycleUpdate, validateLifecycleSettings } from '../../../workflows/lifecycle/lifecycle.messages';
import { ensureLifecycle, readLifecycleState } from '../../../services/lifecycle/ensure';
import { UsageError } from '../../../services/usage-error';
import type { CliContext } from '../context';
import { fmtNumber, printJson, printTable } from '../output';

/**
 * The families a command may name: the demo's without `--project`, else the project's algorithms
 * (a bad family is a usage error naming the known ones).
 */
export async function checkFamily(ctx: CliContext, family: string, project: string | undefined): Promise<void> {
  const known = project === undefined ? MODEL_FAMILIES : (await loadProject(ctx.config.projectsDir, project)).project.algorithms.map((a) => a.name);
  if (!known.includes(family)) throw new UsageError(`unknown model family '${family}'${project === undefined ? '' : ` of project ${project}`} (known: ${known.join(', ')})`);
}

export function registerModelsCommands(program: Command, ctx: CliContext): void {
  const models = program.command('models').description('the model registry');
  registerRollbackCommand(models, ctx);

  models
    .command('list')
    .description('every registered model version with its status, metrics and decision')
    .option('--project <name>', "a project's versions (default: the demo's)")
    .option('--family <family>', `only one family (${MODEL_FAMILIES.join(', ')}, or a family of --project)`)
    .option('--json', 'print JSON')
    .action(async (options: { project?: string; family?: string; json?: boolean }) => {
      const known = options.project === undefined ? MODEL_FAMILIES : (await loadProject(ctx.config.projectsDir, options.project)).project.algorithms.map((a) => a.name);
      if (options.family && !known.includes(options.family)) throw new UsageError(`--family: unknown model family '${options.family}' (known: ${known.join(', ')})`);
      const family = options.family && known.includes(options.family) ? options.family : undefined;
      const versions = await ctx.backend.registry.listVersions(family, options.project);
      const champions = new Map<string, number>();
      for (const f of known) {
        const champion = await readChampion(ctx.backend.parameters, f, options.project);
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
    .argument('<family>', `the model family (${MODEL_FAMILIES.join(', ')}, or a family of --project)`)
    .option('--project <name>', "a project's family (default: the demo's)")
    .option('--json', 'print JSON')
    .action(async (family: string, options: { project?: string; json?: boolean }) => {
      await checkFamily(ctx, family, options.project);
      const versions = await ctx.backend.registry.listVersions(family, options.project);
      const champion = await readChampion(ctx.backend.parameters, family, options.project);
      const lifecycle = await readLifecycleState(await ctx.client(), family, options.project);
      if (options.json) return printJson({ family, ...(options.project ? { project: options.project } : {}), championVersion: champion?.modelVersion ?? null, versions, lifecycle: lifecycle ?? null });
      console.log(`${family}: ${versions.length} version(s)${champion ? `, champion version ${champion.modelVersion}` : ', no champion'}`);
      if (versions.length > 0) {
        printTable(
          ['VERSION', 'STATUS', 'VAL RMSE', 'TEST RMSE', 'VS CHAMPION (SAME ROWS)', 'CREATED', 'DECISION'],
          versions.map((v) => [v.version, v.status, fmtNumber(v.metrics?.validation.rmse), fmtNumber(v.metrics?.test?.rmse), sameRows(v.governance), v.createdAt, decisionText(v)]),
        );
      }
      if (!lifecycle) return console.log(`lifecycle: not running (workflow ${lifecycleWorkflowId(family, options.project)})`);
      printLifecycleState(lifecycle);
    });

  models
    .command('policy')
    .description("change the family's retraining policy, cool-down, training data or approval timeout (starts its lifecycle if needed)")
    .argument('<family>', `the model family (${MODEL_FAMILIES.join(', ')}, or a family of --project)`)
    .option('--project <name>', "a project's family (default: the demo's)")
    .option('--policy <policy>', 'what a drift alert does: notify, retrain or approve-then-retrain')
    .option('--cool-down <duration>', "after a retraining starts, alerts within this time only notify (e.g. '24 hours')")
    .option('--training-data <uri>', "s3:// URI of the data retraining runs on ('champion': the data the champion was trained on)")
    .option('--approval-timeout <duration>', "how long approve-then-retrain waits for a decision (e.g. '3 days')")
    .requiredOption('--by <name>', 'who changes it')
    .option('--reason <text>', 'why')
    .option('--json', 'print JSON')
    .action(async (family: string, options: { project?: string; policy?: string; coolDown?: string; trainingData?: string; approvalTimeout?: string; by: string; reason?: string; json?: boolean }) => {
      await checkFamily(ctx, family, options.project);
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
      const handle = await ensureLifecycle(await ctx.client(), ctx.config, family, {}, options.project);
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

/** Step 6's comparison as one cell: "2300.1 vs 2400.2 of v4 on 120 rows (-4.2 %)". */
function sameRows(governance: GovernanceRecord | undefined): string {
  const c = governance?.comparison;
  if (!c) return governance?.incomparable ? `not comparable with v${governance.incomparable.championVersion}` : '';
  const ours = c.challenger.validation.rmse;
  const theirs = c.champion.validation.rmse;
  const pct = theirs > 0 ? ` (${(((ours - theirs) / theirs) * 100).toFixed(1)} %)` : '';
  return `${fmtNumber(ours)} vs ${fmtNumber(theirs)} of v${c.championVersion} on ${c.rows.validation} rows${pct}`;
}

/** The decision, then what a person should see about it, then how earlier decisions went. */
function decisionText(v: ModelVersion): string {
  const parts = [v.decision ? `${v.decision.reason} (${v.decision.decidedBy})` : ''];
  for (const w of v.governance?.warnings ?? []) parts.push(`warning: ${w}`);
  for (const d of v.previousDecisions ?? []) parts.push(`earlier: ${d.outcome} by ${d.decidedBy}: ${d.reason}`);
  return parts.filter(Boolean).join(' | ');
}

function registerRollbackCommand(models: Command, ctx: CliContext): void {
  models
    .command('rollback')
    .description('make an earlier version the champion again: registry, endpoint (create or update), export, monitoring baselines, lifecycle, notification')
    .argument('<family>', `the model family (${MODEL_FAMILIES.join(', ')})`)
    .option('--to <version>', 'the version to promote (default: the newest approved version older than the champion)')
    .requiredOption('--by <name>', 'who decides')
    .requiredOption('--reason <text>', 'why')
    .option('--force', 'promote a version that is not Approved (rejected, or never decided); the reason says why')
    .option('--no-wait', 'start the rollback and return')
    .option('--json', 'print JSON')
    .action(async (family: string, options: { to?: string; by: string; reason: string; force?: boolean; wait: boolean; json?: boolean }) => {
      if (!MODEL_FAMILIES.includes(family)) throw new UsageError(`unknown model family '${family}' (known: ${MODEL_FAMILIES.join(', ')})`);
      const toVersion = options.to === undefined ? undefined : Number(options.to);
      if (toVersion !== undefined && !(Number.isInteger(toVersion) && toVersion >= 1)) throw new UsageError(`--to '${options.to}': a version is a whole number from 1`);
      const client = await ctx.client();
      const started = await startRollback(client, ctx.backend, ctx.config, { family, ...(toVersion !== undefined ? { toVersion } : {}), by: options.by, reason: options.reason, force: options.force ?? false });
      const uiUrl = temporalUiUrl(ctx.config, started.workflowId);
      if (!options.wait) {
        if (options.json) return printJson({ workflowId: started.workflowId, started: started.started, uiUrl });
        return console.log(`${started.started ? 'started' : 'already ran'}: ${started.workflowId}\n  Temporal UI: ${uiUrl}`);
      }
      let result: RollbackResult;
      try {
        result = await started.handle.result();
      } catch (err) {
        if (!(err instanceof WorkflowFailedError)) throw err;
        const cause = innermost(err) as Error & { type?: string };
        if (options.json) printJson({ workflowId: started.workflowId, status: 'failed', error: { type: cause.type, message: cause.message }, uiUrl });
        else console.error(`rollback refused or failed: ${cause.message}\n  Temporal UI: ${uiUrl}`);
        process.exitCode = cause.type === 'Conflict' || cause.type === 'NotFound' || cause.type === 'InvalidInput' ? 2 : 1;
        return;
      }
      if (options.json) return printJson({ workflowId: started.workflowId, status: 'completed', started: started.started, uiUrl, ...result });
      const from = result.current ? ` (from version ${result.current.version})` : '';
      console.log(`${family}: version ${result.target.version} is the champion again${from}`);
      if (result.endpoint) console.log(`  endpoint ${result.endpoint.endpointName}: ${result.endpoint.action} to ${result.endpoint.endpointConfigName}`);
      console.log(`  exported: ${result.exportedParameters.length} parameters; monitoring now uses version ${result.target.version}'s baselines`);
      console.log(`  Temporal UI: ${uiUrl}`);
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
