import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import type { FinalMetric, MetricDefinition } from '../../../common/types/jobs';

/**
 * Applies SageMaker metric definitions to a job's log as SageMaker does with CloudWatch Logs: TAB
 * is rendered as `#011` first, capture group 1 is the value, and the last match per metric wins.
 */
export async function scanMetrics(logFile: string, definitions: MetricDefinition[]): Promise<FinalMetric[]> {
  const compiled = definitions.map((d) => ({ name: d.name, regex: new RegExp(d.regex) }));
  const last = new Map<string, number>();
  const lines = readline.createInterface({ input: createReadStream(logFile), crlfDelay: Infinity });
  for await (const raw of lines) {
    const line = raw.replace(/\t/g, '#011');
    for (const { name, regex } of compiled) {
      const match = regex.exec(line);
      if (match?.[1] === undefined) continue;
      const value = Number(match[1]);
      if (Number.isFinite(value)) last.set(name, value);
    }
  }
  return definitions.filter((d) => last.has(d.name)).map((d) => ({ name: d.name, value: last.get(d.name)! }));
}
