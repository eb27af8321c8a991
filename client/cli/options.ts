import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { isS3Uri } from '../../common/uri';
import { readTrainingConfigFile } from '../../services/training/config-file';
import { UsageError } from '../../services/usage-error';

/** `--limit <n>` and the like: a whole number from 1 to 10,000 (commander reports a refusal as bad usage, exit 2). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('must be a whole number from 1 to 10000');
  return n;
}

/**
 * Checks a local data path before the command connects anywhere, so a mistyped file is bad usage
 * (exit 2) with or without a running stack. An s3:// URI is checked where it is read.
 */
export async function checkLocalData(source: string | undefined, flag: string): Promise<void> {
  if (source === undefined || isS3Uri(source)) return;
  const stat = await fs.stat(path.resolve(source)).catch(() => undefined);
  if (!stat?.isFile()) throw new UsageError(`${flag}: ${source} is not a file (give a local CSV path or an s3:// URI)`);
}

/** `--config FILE`: read and validated before connecting (ConfigFileError: exit 2). */
export async function checkTrainingConfigFile(file: string | undefined): Promise<void> {
  if (file !== undefined) await readTrainingConfigFile(file);
}
