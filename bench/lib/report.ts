/**
 * What every TypeScript bench shares: the one JSON object it prints as its last line (figures,
 * targets, checks, pass) and its exit code, so `make bench` and CI see a missed target as a
 * failure instead of reading `"pass": false` in a log nobody opens.
 */

export interface BenchResult {
  benchmark: string;
  figures: Record<string, unknown>;
  targets: Record<string, unknown>;
  /** One entry per target: true when met. */
  checks: Record<string, boolean>;
}

/** Exit code of a bench whose run worked but missed a target (a crash exits 2). */
export const MISSED_TARGET_EXIT_CODE = 1;
export const CRASHED_EXIT_CODE = 2;

/** Prints the result as the last line of stdout and sets the exit code: non-zero when a check failed. */
export function finishBench(result: BenchResult): boolean {
  const failed = Object.entries(result.checks).filter(([, ok]) => !ok).map(([name]) => name);
  const pass = Object.keys(result.checks).length > 0 && failed.length === 0;
  console.log(JSON.stringify({ ...result, failed, pass }));
  if (!pass) {
    console.error(`${result.benchmark}: missed ${failed.length ? failed.join(', ') : 'every target (no checks ran)'}`);
    process.exitCode = MISSED_TARGET_EXIT_CODE;
  }
  return pass;
}

/** For `main().catch(...)`: a bench that could not run fails, with its message and no JSON line. */
export function crashBench(err: unknown): never {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(CRASHED_EXIT_CODE);
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const round = (v: number): number => Math.round(v * 1000) / 1000;
