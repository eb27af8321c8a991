import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ApprovalPolicyName } from '../../../common/types/approval';
import type { TrainingProgress } from '../../../common/types/training';
import { temporalUiUrl } from '../../temporal';
import { waitForTrainingReport, type TrainingRunReport } from '../../training/report';
import { startTraining } from '../../../services/training/start-training';
import type { CliContext } from '../context';
import { checkLocalData, checkTrainingConfigFile } from '../options';
import { fmtNumber, printJson } from '../output';

interface TrainOptions {
  data?: string;
  project?: string;
  config?: string;
  threshold?: number;
  wait?: boolean;
  json?: boolean;
  newRun?: boolean;
  approval?: ApprovalPolicyName;
  deploy: boolean;
}

export function registerTrainCommand(program: Command, ctx: CliContext): void {
  program
    .command('train')
    .description('start a training run (pre-process, train XGBoost and Linear Learner, evaluate, baselines, export)')
    .option('--project <name>', "the project whose dataset spec and algorithms the run uses (projects/<name>/project.yaml; default: the demo, as before projects)")
    .option('--data <uri|path>', "training data: s3://bucket/key, or a local CSV that is put into the bucket first (default: the project's training file, the demo dataset)")
    .option('--config <file>', 'JSON run configuration (hyperparameters, instance types and counts, thresholds, split)')
    .option('--threshold <rmse>', 'reject a model whose validation RMSE exceeds this', parsePositive)
    .option('--wait', 'wait for the run to end, showing progress')
    .option('--json', 'print one JSON object (with --wait: the full result)')
    .option('--new-run', 'train again even if this data version already has a run')
    .addOption(new Option('--approval <policy>', 'who approves before deployment').choices(['auto', 'manual', 'manual-first-version']))
    .option('--no-deploy', 'do not create or update endpoints for the accepted models')
    .action(async (options: TrainOptions) => {
      await checkLocalData(options.data, '--data');
      await checkTrainingConfigFile(options.config);
      const client = await ctx.client();
      const started = await startTraining(client, ctx.backend, ctx.config, {
        data: options.data,
        ...(options.project !== undefined ? { project: options.project } : {}),
        configFile: options.config,
        threshold: options.threshold,
        newRun: options.newRun,
        ...(options.approval ? { approval: options.approval } : {}),
        deploy: options.deploy,
        trigger: `cli:${process.env.USER ?? 'user'}`,
      });
      const description = await started.handle.describe();
      const uiUrl = (runId: string) => temporalUiUrl(ctx.config, started.workflowId, runId);
      if (!started.started && !options.json) {
        console.error(`a run for this data version already exists (${description.status.name}); showing it. Use --new-run to train again.`);
      }
      if (!options.wait) {
        const summary = { workflowId: started.workflowId, runId: description.runId, status: description.status.name.toLowerCase(), dataUri: started.dataUri, uiUrl: uiUrl(description.runId) };
        if (options.json) printJson(summary);
        else console.log(`started ${summary.workflowId}\n  data: ${summary.dataUri}\n  Temporal UI: ${summary.uiUrl}`);
        return;
      }
      if (!options.json) console.error(`run ${started.workflowId}\n  Temporal UI: ${uiUrl(description.runId)}`);
      const startedAt = Date.now();
      const report = await waitForTrainingReport(started.handle, uiUrl, (p) => console.error(progressLine(p, Date.now() - startedAt)));
      if (options.json) printJson(report);
      else printReport(report);
      if (report.status !== 'completed') process.exitCode = 1;
    });
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function progressLine(p: TrainingProgress, elapsedMs: number): string {
  const models = Object.entries(p.models).map(([f, s]) => `${f}: ${s}`).join(', ');
  return `[${(elapsedMs / 1000).toFixed(1).padStart(5)} s] ${p.stage}${models ? ` | ${models}` : ''}`;
}

export function printReport(report: TrainingRunReport): void {
  console.log(`\nRun ${report.workflowId}: ${report.status}`);
  if (report.error) console.log(`  error (${report.error.type ?? 'failure'}): ${report.error.message}`);
  for (const m of report.models) {
    console.log(`\n  ${m.family}${m.version !== null ? ` version ${m.version}` : ''}: ${m.decision.outcome.toUpperCase()} - ${m.decision.reason}`);
    if (m.metrics) {
      for (const split of ['validation', 'test'] as const) {
        const s = m.metrics[split];
        if (!s) {
          console.log(`    ${split.padEnd(10)} not reported by the training job (see the model-quality baseline)`);
          continue;
        }
        console.log(`    ${split.padEnd(10)} RMSE ${fmtNumber(s.rmse).padStart(9)}   MAE ${fmtNumber(s.mae).padStart(9)}   R2 ${fmtNumber(s.r2, 4)}`);
      }
    }
    const c = m.governance?.comparison;
    if (c) {
      for (const split of ['validation', 'test'] as const) {
        const ours = c.challenger[split];
        const theirs = c.champion[split];
        if (ours && theirs) console.log(`    vs champion v${c.championVersion}, same ${c.rows[split] ?? '?'} ${split} rows: RMSE ${fmtNumber(ours.rmse)} vs ${fmtNumber(theirs.rmse)}, MAE ${fmtNumber(ours.mae)} vs ${fmtNumber(theirs.mae)}`);
      }
      if (c.bootstrap) console.log(`    RMSE difference ${Math.round(c.bootstrap.confidence * 100)} % interval [${fmtNumber(c.bootstrap.differenceLow)}, ${fmtNumber(c.bootstrap.differenceHigh)}] (paired bootstrap, seed ${c.bootstrap.seed})`);
    }
    if (m.governance?.dataShift) console.log(`    new data vs champion v${m.governance.dataShift.championVersion}'s baseline: ${m.governance.dataShift.violations} violated check(s)`);
    for (const w of m.governance?.warnings ?? []) console.log(`    warning: ${w}`);
    if (m.artifactUri) console.log(`    model artifact:        ${m.artifactUri}`);
    if (m.baselines.dataQuality) console.log(`    data-quality baseline: ${m.baselines.dataQuality.statisticsUri.replace(/statistics\.json$/, '')}{statistics,constraints}.json`);
    if (m.baselines.modelQuality) console.log(`    model-quality baseline: ${m.baselines.modelQuality.statisticsUri.replace(/statistics\.json$/, '')}{statistics,constraints}.json`);
  }
  console.log(`\n  Temporal UI: ${report.uiUrl}`);
}
