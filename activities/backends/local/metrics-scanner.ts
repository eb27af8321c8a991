import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import type { FinalMetric, MetricDefinition } from '../../../common/types/jobs';

/**
 * Applies SageMaker metric definitions to a job's log as SageMaker does with CloudWatch Logs: TAB
 * is rendered as `#011` first, capture group 1 is the value, and the last match per metric wins.
 */
export async function scanMetrics(logFile: string, definitions: MetricDefinition[]): Promise<FinalMetric[]> {
  const compiled = definitions.map((d) => ({ name: d.name, ...compileDefinition(d.regex) }));
  const last = new Map<string, number>();
  const lines = readline.createInterface({ input: createReadStream(logFile), crlfDelay: Infinity });
  for await (const raw of lines) {
    const line = raw.replace(/\t/g, '#011');
    const plain = !LINE_TERMINATOR.test(line);
    for (const { name, regex, anchored } of compiled) {
      const match = (plain && anchored ? anchored : regex).exec(line);
      if (match?.[1] === undefined) continue;
      const value = Number(match[1]);
      if (Number.isFinite(value)) last.set(name, value);
    }
  }
  return definitions.filter((d) => last.has(d.name)).map((d) => ({ name: d.name, value: last.get(d.name)! }));
}

/** What `.` does not match (no `s` flag): a line holding one of these takes the definition as written. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/**
 * A pattern that starts with `.*` (SageMaker's built-in XGBoost definitions do) and has no
 * top-level `|` finds a match in a line without line terminators only if it finds one at the line's
 * start: a match at any position extends back to the start through the `.*`, and the leftmost match
 * is the one reported. So `^(?:pattern)` gives the same match and groups while sparing the engine a
 * retry at every position (15 times faster on an XGBoost log, whose finalizing a run waits for).
 */
export function compileDefinition(pattern: string): { regex: RegExp; anchored?: RegExp } {
  const regex = new RegExp(pattern);
  if (!pattern.startsWith('.*') || hasTopLevelAlternation(pattern)) return { regex };
  return { regex, anchored: new RegExp(`^(?:${pattern})`) };
}

/** Whether `|` appears outside every group and character class (escapes skipped). */
function hasTopLevelAlternation(pattern: string): boolean {
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      // A class ends at the first unescaped `]`, which may come right after `[` or `[^` (an empty or full class).
      i += pattern[i + 1] === '^' ? 2 : 1;
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
    } else if (c === '|' && depth === 0) {
      return true;
    }
  }
  return false;
}
