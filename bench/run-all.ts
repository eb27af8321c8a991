/**
 * `make bench`: runs every bench (each through its own `make bench-NAME` target), keeps going when
 * one fails, then prints one summary line per bench (pass or FAIL, its exit code, its last JSON
 * line) and exits non-zero when any bench failed. A bench passes only when it exits 0 AND its last
 * line is a JSON object with `"pass": true`: either alone could hide a missed target.
 *
 * Usage: tsx bench/run-all.ts NAME... (the names of the bench-NAME targets)
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { judge } from './lib/judge';

interface BenchOutcome {
  name: string;
  exitCode: number | null;
  signal: string | null;
  seconds: number;
  /** The bench's last non-empty stdout line, verbatim. */
  lastLine: string | null;
  pass: boolean;
  reason: string;
}

function runOne(name: string): Promise<BenchOutcome> {
  const started = performance.now();
  process.stdout.write(`\n== bench-${name}\n`);
  const child = spawn(process.env.MAKE ?? 'make', ['--no-print-directory', `bench-${name}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let lastLine: string | null = null;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    process.stdout.write(`${line}\n`);
    if (line.trim()) lastLine = line.trim();
  });
  const closed = new Promise<void>((resolve) => lines.once('close', resolve));
  return new Promise((resolve) => {
    const finish = (exitCode: number | null, signal: string | null) =>
      void closed.then(() => resolve({ name, exitCode, signal, seconds: (performance.now() - started) / 1000, lastLine, ...judge(exitCode, signal, lastLine) }));
    child.once('error', (err) => {
      lastLine = null;
      finish(127, null);
      process.stderr.write(`bench-${name}: ${err.message}\n`);
    });
    child.once('exit', (code, signal) => finish(code, signal));
  });
}

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  if (names.length === 0) {
    process.stderr.write('usage: tsx bench/run-all.ts NAME... (bench-NAME targets of the Makefile)\n');
    process.exit(2);
  }
  const outcomes: BenchOutcome[] = [];
  for (const name of names) outcomes.push(await runOne(name));
  process.stdout.write('\n== summary\n');
  for (const o of outcomes) {
    // The exit code is make's (2 when the bench's own command failed).
    process.stdout.write(`${o.pass ? 'pass' : 'FAIL'}  bench-${o.name} (${o.seconds.toFixed(0)} s, make exit ${o.signal ?? o.exitCode}): ${o.reason}\n      ${o.lastLine ?? '(no output)'}\n`);
  }
  const failed = outcomes.filter((o) => !o.pass).map((o) => o.name);
  process.stdout.write(failed.length ? `${failed.length} of ${outcomes.length} benches failed: ${failed.join(', ')}\n` : `all ${outcomes.length} benches passed\n`);
  process.stdout.write(
    `${JSON.stringify({ benchmark: 'all', results: outcomes.map((o) => ({ name: o.name, pass: o.pass, exitCode: o.exitCode, reason: o.reason })), failed, pass: failed.length === 0 })}\n`,
  );
  process.exitCode = failed.length ? 1 : 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
