import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../../services/usage-error';
import type { CliContext } from '../context';
import { StackUnreachableError } from '../../edge-errors';
import { printJson, printTable } from '../output';
import { checkProject } from '../project-option';

interface PredictResponse {
  predictions?: { inferenceId: string; prediction: number; models: Record<string, number>; unavailable?: string[] }[];
  combiner?: string;
  degraded?: { unavailable: { family: string; reason: string }[] };
  error?: string;
  message?: string;
}

export function registerPredictCommand(program: Command, ctx: CliContext): void {
  program
    .command('predict <file>')
    .description("send records to the gateway: a JSON or CSV file, or '-' for standard input")
    .option('--project <name>', "the project whose champions answer (POST /v1/projects/<name>/predict; default: the demo's, POST /v1/predict)")
    .option('--combiner <name>', 'max, mean or model:<family> (default: the gateway\'s; a module combiner is the operator\'s setting, not a request\'s)')
    .option('--json', 'print the gateway\'s JSON answer')
    .action(async (file: string, options: { project?: string; combiner?: string; json?: boolean }) => {
      // Checked here, so an unknown project is bad usage (exit 2) before the file is read or the gateway asked.
      await checkProject(ctx, options.project);
      const text = file === '-' ? await readStdin() : await fs.readFile(file, 'utf8').catch(() => {
        throw new UsageError(`${file}: cannot read the file`);
      });
      const trimmed = text.trim();
      if (!trimmed) throw new UsageError(`${file}: no records`);
      const isJson = trimmed.startsWith('{') || trimmed.startsWith('[') || path.extname(file) === '.json';
      const url = new URL(`${ctx.config.gatewayUrl}${options.project === undefined ? '/v1/predict' : `/v1/projects/${encodeURIComponent(options.project)}/predict`}`);
      if (options.combiner) url.searchParams.set('combiner', options.combiner);
      let response: Response;
      try {
        response = await fetch(url, { method: 'POST', headers: { 'content-type': isJson ? 'application/json' : 'text/csv' }, body: text, signal: AbortSignal.timeout(30_000) });
      } catch {
        throw new StackUnreachableError(`the gateway at ${url.origin} is not reachable: start the stack with 'mlops stack up'`);
      }
      const body = (await response.json().catch(() => ({}))) as PredictResponse;
      // 4xx: the records or the combiner were refused (bad usage); 5xx: the gateway or an endpoint failed.
      if (!response.ok) {
        const message = `the gateway answered ${response.status}: ${body.message ?? body.error ?? JSON.stringify(body)}`;
        throw response.status < 500 ? new UsageError(message) : new Error(message);
      }
      if (options.json) return printJson(body);
      const families = Object.keys(body.predictions?.[0]?.models ?? {});
      printTable(
        ['#', 'PREDICTION', ...families.map((f) => f.toUpperCase()), 'INFERENCE ID'],
        (body.predictions ?? []).map((p, i) => [i, p.prediction.toFixed(2), ...families.map((f) => p.models[f]?.toFixed(2)), p.inferenceId]),
      );
      if (body.degraded) console.error(`degraded: ${body.degraded.unavailable.map((u) => `${u.family}: ${u.reason}`).join('; ')}`);
      console.error(`combiner: ${body.combiner}`);
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
