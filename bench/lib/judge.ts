/**
 * Whether one bench passed, from its exit code and its last stdout line: it must exit 0 AND end with
 * a JSON object whose `pass` is true. Either alone could hide a missed target (a bench that prints
 * `"pass": false` and exits 0, or one that exits 0 after crashing before its result).
 */
export function judge(exitCode: number | null, signal: string | null, lastLine: string | null): { pass: boolean; reason: string } {
  const reported = parseObject(lastLine);
  if (signal) return { pass: false, reason: `killed by ${signal}` };
  if (!reported || !('pass' in reported)) return { pass: false, reason: 'no JSON result as the last line' };
  if (reported.pass !== true) {
    const missed = missedTargets(reported);
    return { pass: false, reason: `missed ${missed.length ? missed.join(', ') : 'a target'}` };
  }
  if (exitCode !== 0) return { pass: false, reason: 'reported pass but exited non-zero' };
  return { pass: true, reason: 'all targets met' };
}

/** The names of the missed targets: the TypeScript benches list them in `failed`; every bench has a map of name -> met (`checks` or `targets`). */
export function missedTargets(result: Record<string, unknown>): string[] {
  if (Array.isArray(result.failed)) return result.failed.map(String);
  for (const key of ['checks', 'targets']) {
    const map = result[key];
    if (typeof map !== 'object' || map === null) continue;
    const entries = Object.entries(map);
    if (entries.length && entries.every(([, v]) => typeof v === 'boolean')) return entries.filter(([, v]) => v === false).map(([k]) => k);
  }
  return [];
}

function parseObject(line: string | null): Record<string, unknown> | undefined {
  if (line === null) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
