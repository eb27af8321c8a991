import { InvalidArgumentError } from 'commander';

/** `--limit <n>` and the like: a whole number from 1 to 10,000 (commander reports a refusal as bad usage, exit 2). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('must be a whole number from 1 to 10000');
  return n;
}
