import type { Command } from 'commander';
import { DEMO_MODEL_FAMILIES as MODEL_FAMILIES, type ModelFamily } from '../../../common/types/model';
import { startScoring, DEMO_SCORING_FILE } from '../../../services/scoring/start-scoring';
import { waitForScoringReport, type ScoringRunReport } from '../../scoring/report';
import type { ObjectStore } from '../../../activities/backends/types';
import { temporalUiUrl } from '../../temporal';
import { UsageError } from '../../../services/usage-error';
import type { CliContext } from '../context';
import { checkLocalData } from '../options';
import { printJson } from '../output';

export function registerScoreCommand(program: Command, ctx: CliContext): void {
  program
    .command('score [file]')
    .description('batch-score a CSV with the latest approved model(s): s3://bucket/key or a local file (default: the demo scoring sample)')
    .option('--project <name>', "the project whose champions score the file (default: the demo); a local file goes under scoring/<project>/")
    .option('--model <family>', `only one family (the demo's: ${MODEL_FAMILIES.join(', ')}; a project's: its algorithm names)`)
    .option('--id-columns <names>', "comma-separated columns of the file passed around the model and joined back to each prediction ('' for none: a row number); default every column that is neither a feature nor the label")
    .option('--wait', 'wait for the run to end and show the scored output')
    .option('--json', 'print one JSON object')
    .option('--new-run', 'score again even if this data version already has a run')
    .action(async (file: string | undefined, options: { project?: string; model?: string; idColumns?: string; wait?: boolean; json?: boolean; newRun?: boolean }) => {
      let families: ModelFamily[] | undefined;
      if (options.model) {
        // A project's families are checked against its project file when the run is built.
        if (options.project === undefined && !MODEL_FAMILIES.includes(options.model)) throw new UsageError(`--model: unknown model family '${options.model}' (known: ${MODEL_FAMILIES.join(', ')})`);
        families = [options.model];
      }
      const idColumns = options.idColumns === undefined ? undefined : parseIdColumns(options.idColumns);
      await checkLocalData(file, 'FILE');
      const client = await ctx.client();
      const started = await startScoring(client, ctx.backend, ctx.config, { data: file ?? (options.project === undefined ? DEMO_SCORING_FILE : undefined), ...(options.project !== undefined ? { project: options.project } : {}), ...(families ? { families } : {}), ...(idColumns ? { idColumns } : {}), newRun: options.newRun, trigger: `cli:${process.env.USER ?? 'user'}` });
      const { runId } = await started.handle.describe();
      const uiUrl = (r: string) => temporalUiUrl(ctx.config, started.workflowId, r);
      if (!options.wait) {
        const summary = { workflowId: started.workflowId, runId, started: started.started, dataUri: started.dataUri, uiUrl: uiUrl(runId) };
        return options.json ? printJson(summary) : console.log(`${started.started ? 'started' : 'already exists'}: ${summary.workflowId}\n  Temporal UI: ${summary.uiUrl}`);
      }
      if (!options.json) console.error(`scoring ${started.dataUri} (${started.workflowId})`);
      const report = await waitForScoringReport(started.handle, uiUrl);
      if (options.json) printJson(report);
      else await printScoringReport(report, ctx.backend.objectStore);
      if (report.status !== 'completed') process.exitCode = 1;
    });
}

/** `--id-columns car_id,note` -> ['car_id', 'note']; '' -> [] (no pass-through column). */
export function parseIdColumns(text: string): string[] {
  if (text.trim() === '') return [];
  const names = text.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) throw new UsageError(`--id-columns '${text}': a column name is empty (rule: comma-separated names)`);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new UsageError(`--id-columns '${text}': '${twice}' is named twice`);
  return names;
}

/** The text form of a scoring run (`score --wait`, `runs show`): per model its outputs with their first lines. */
export async function printScoringReport(report: Omit<ScoringRunReport, 'status'> & { status: string }, store: Pick<ObjectStore, 'get'>): Promise<void> {
  console.log(`\nRun ${report.workflowId}: ${report.status}`);
  if (report.error) console.log(`  error (${report.error.type ?? 'failure'}): ${report.error.message}`);
  for (const o of report.outputs) {
    console.log(`\n  ${o.family} version ${o.modelVersion}`);
    for (const uri of o.outputUris) {
      console.log(`    output: ${uri}`);
      const head = await store.get(uri).then((b) => b.toString('utf8').split('\n').slice(0, 5), (err: Error) => [`(not readable: ${err.message})`]);
      for (const line of head) if (line) console.log(`      ${line}`);
    }
    for (const uri of o.captureUris) console.log(`    captured for monitoring: ${uri}`);
  }
  console.log(`\n  Temporal UI: ${report.uiUrl}`);
}
