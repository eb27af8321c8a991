import type { Command } from 'commander';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { DeploymentState } from '../../../common/types/deployment';
import { deploymentId, listDeployments, showDeployment } from '../../../services/deployments/deployments';
import type { ShadowReport } from '../../../services/deployments/shadow-report';
import { UsageError } from '../../../services/usage-error';
import { abortDeploymentUpdate, promoteDeploymentUpdate, validateDeploymentDecision } from '../../../workflows/deployment/deployment.messages';
import { describePolicy } from '../../../workflows/deployment/traffic-plan';
import { temporalUiUrl } from '../../temporal';
import type { CliContext } from '../context';
import { printJson, printTable } from '../output';
import { PROJECT_FILTER_HELP, projectEndpointNames } from '../project-option';

export { deploymentId };

const pct = (share: number) => `${Math.round(share * 1000) / 10} %`;

function printState(s: DeploymentState, uiUrl: string, report?: ShadowReport): void {
  console.log(`${s.endpointName}: ${s.target.modelName} (v${s.target.version}) ${s.phase}`);
  console.log(`  policy:   ${describePolicy(s.policy)}${s.mode ? ` (${s.mode === 'managed' ? "SageMaker's guardrails" : 'shifted by the workflow'})` : ''}`);
  if (s.previous) console.log(`  previous: ${s.previous.modelName} (${s.previous.endpointConfigName})`);
  if (s.step) console.log(`  step:     ${s.step.index} of ${s.step.of}, ${pct(s.step.share)}${s.step.until ? ` until ${s.step.until}` : ''}`);
  console.log(`  traffic:  ${s.traffic.map((t) => `${t.modelName} ${pct(t.share)}${t.role === 'shadow' ? ' (shadow)' : ''}`).join(', ') || '-'}`);
  if (s.decision) console.log(`  decision: ${s.decision.action} by ${s.decision.by} at ${s.decision.at}: ${s.decision.reason}`);
  if (s.rollback) console.log(`  rollback: ${s.rollback.reason} (at ${s.rollback.at})`);
  console.log(`  requested by ${s.requestedBy.kind} ${s.requestedBy.by ?? s.requestedBy.workflowId}; started ${s.startedAt}, updated ${s.updatedAt}`);
  if (s.alarms.length) {
    console.log('');
    printTable(
      ['ALARM', 'STATE', 'VALUE', 'THRESHOLD', 'SAMPLE', 'REASON'],
      s.alarms.map((a) => [a.name, a.state, a.value, a.threshold, a.sample, a.reason]),
    );
  }
  const last = s.readings.at(-1);
  if (last) {
    console.log(`\nover the alarm window (read ${last.at}):`);
    printTable(
      ['VARIANT', 'ROLE', 'REQUESTS', 'ERRORS', 'P50 MS', 'P99 MS'],
      last.variants.map((v) => [v.variantName, v.role, v.invocations, v.errors, v.latencyMs.p50, v.latencyMs.p99]),
    );
  }
  if (report) printShadowReport(report);
  else if (s.shadow) {
    const c = s.shadow;
    console.log(`\nshadow ${c.shadowVariant} beside ${c.championVariant} (${c.pairs} pairs, ${c.dropped} mirrored requests dropped):`);
    printTable(
      ['', 'REQUESTS', 'ERRORS', 'P50 MS', 'P90 MS', 'P99 MS'],
      [
        ['champion', c.champion.invocations, c.champion.errors, c.champion.latencyMs.p50, c.champion.latencyMs.p90, c.champion.latencyMs.p99],
        ['shadow', c.shadow.invocations, c.shadow.errors, c.shadow.latencyMs.p50, c.shadow.latencyMs.p90, c.shadow.latencyMs.p99],
      ],
    );
    console.log(`relative difference |shadow - champion| / |champion|: p50 ${c.relativeDifference.p50 ?? '-'}, p90 ${c.relativeDifference.p90 ?? '-'}, p99 ${c.relativeDifference.p99 ?? '-'}`);
  }
  console.log(`\nTemporal UI: ${uiUrl}`);
}

/** The shadow beside the champion over its whole period: errors, latency percentiles, the difference distribution. */
function printShadowReport(r: ShadowReport): void {
  console.log(`\nshadow ${r.shadowVariant} beside ${r.championVariant} (${r.pairs} pairs, ${r.dropped} mirrored requests dropped; ${r.readings} readings${r.from ? ` from ${r.from} to ${r.to}` : ''}):`);
  const rate = (v?: number) => (v === undefined ? '-' : pct(v));
  printTable(
    ['', 'VARIANT', 'REQUESTS', 'ERRORS', 'ERROR RATE', 'P50 MS', 'P95 MS', 'P99 MS'],
    [
      ['champion', r.champion.variantName, r.champion.invocations, r.champion.errors, rate(r.champion.errorRate), r.champion.latencyMs.p50, r.champion.latencyMs.p95, r.champion.latencyMs.p99],
      ['shadow', r.shadow.variantName, r.shadow.invocations, r.shadow.errors, rate(r.shadow.errorRate), r.shadow.latencyMs.p50, r.shadow.latencyMs.p95, r.shadow.latencyMs.p99],
    ],
  );
  const d = r.relativeDifference;
  console.log(`\nrelative difference |shadow - champion| / |champion|: p50 ${d.p50 ?? '-'}, p90 ${d.p90 ?? '-'}, p99 ${d.p99 ?? '-'}`);
  const shown = d.buckets.filter((b) => b.count > 0);
  if (shown.length) {
    const widest = Math.max(...shown.map((b) => b.count));
    printTable(
      ['DIFFERENCE', 'PAIRS', ''],
      shown.map((b) => [b.upper === null ? `> ${b.lower}` : `${b.lower} - ${b.upper}`, b.count, '#'.repeat(Math.max(1, Math.round((30 * b.count) / widest)))]),
    );
  }
}

export function registerDeploymentCommands(program: Command, ctx: CliContext): void {
  const deployments = program.command('deployments').description("step 10's deployments: traffic shifted to a new model by its policy, rolled back on an alarm");

  deployments
    .command('list')
    .description('deployments, newest first, with their endpoint, model and status')
    .option('--project <name>', `${PROJECT_FILTER_HELP}: the deployments of its endpoints`)
    .option('--running', 'only deployments in progress')
    .option('--limit <n>', 'at most this many', '20')
    .option('--json', 'print JSON')
    .action(async (options: { project?: string; running?: boolean; limit: string; json?: boolean }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit '${options.limit}': a whole number from 1 to 1000`);
      const endpoints = options.project === undefined ? undefined : await projectEndpointNames(ctx, options.project);
      const client = await ctx.client();
      const rows = (await listDeployments(client, { ...(options.running ? { running: true } : {}), ...(endpoints ? { endpointNames: endpoints } : {}), limit })).map((r) => ({
        deployment: r.deployment,
        workflowId: r.workflowId,
        status: r.status,
        startTime: r.startTime,
        ...(r.closeTime ? { closeTime: r.closeTime } : {}),
        uiUrl: temporalUiUrl(ctx.config, r.workflowId, r.runId),
      }));
      if (options.json) return printJson({ deployments: rows });
      if (rows.length === 0) return console.log(options.project === undefined ? 'no deployments yet: step 10 of a training run starts one' : `no deployments of project ${options.project} yet: step 10 of a training run starts one`);
      printTable(['DEPLOYMENT', 'STATUS', 'STARTED', 'CLOSED'], rows.map((r) => [r.deployment, r.status, r.startTime, r.closeTime]));
      console.log('\nDetails: mlops deployments show DEPLOYMENT');
    });

  deployments
    .command('show <deployment>')
    .description('a deployment: phase, traffic split, alarms and their readings (DEPLOYMENT: ENDPOINT/vVERSION)')
    .option('--json', 'print JSON')
    .action(async (arg: string, options: { json?: boolean }) => {
      const id = deploymentId(arg);
      const client = await ctx.client();
      const detail = await showDeployment(client, id);
      const uiUrl = temporalUiUrl(ctx.config, id);
      if (options.json) return printJson({ workflowId: id, ...detail.state, ...(detail.shadowReport ? { shadowReport: detail.shadowReport } : {}), uiUrl });
      printState(detail.state, uiUrl, detail.shadowReport);
    });

  for (const action of ['promote', 'abort'] as const) {
    deployments
      .command(`${action} <deployment>`)
      .description(action === 'promote' ? 'all traffic to the new model now (skips the remaining steps and bakes)' : 'roll back now: all traffic to the previous model, as a tripped alarm would')
      .requiredOption('--by <name>', 'who decides')
      .requiredOption('--reason <text>', 'why')
      .option('--json', 'print JSON')
      .action(async (arg: string, options: { by: string; reason: string; json?: boolean }) => {
        const id = deploymentId(arg);
        try {
          validateDeploymentDecision({ by: options.by, reason: options.reason });
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        const client = await ctx.client();
        try {
          const state = await client.workflow.getHandle(id).executeUpdate(action === 'promote' ? promoteDeploymentUpdate : abortDeploymentUpdate, { args: [{ by: options.by, reason: options.reason }] });
          if (options.json) return printJson({ workflowId: id, action, by: options.by, reason: options.reason, state });
          console.log(`${id}: ${action === 'promote' ? 'promotion' : 'abort'} by ${options.by} accepted (${options.reason}); the deployment was ${state.phase}`);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) throw new UsageError(`no deployment '${id}' in progress (see: mlops deployments list --running)`);
          if (err instanceof WorkflowUpdateFailedError) throw new UsageError(`the ${action} was not accepted: ${err.cause?.message ?? err.message}`);
          throw err;
        }
      });
  }
}
