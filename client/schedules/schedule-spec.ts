import type { ScheduleSpec } from '@temporalio/client';
import { UsageError } from '../../services/usage-error';

/** What the user asked for: exactly one of `every` and `cron`, and a time zone for cron only. */
export interface ScheduleTiming {
  every?: string;
  cron?: string;
  timezone?: string;
}

const UNIT_MS: Record<string, number> = {
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/** Shortest interval a monitor may run at: a run reads an hour-partitioned capture, so more often is noise. */
export const MIN_EVERY_MS = 60_000;
export const MAX_EVERY_MS = 366 * 86_400_000;

/** `--every`: `30m`, `1h`, `2 hours`, `1d` -> milliseconds (1 minute to 366 days). */
export function parseEvery(text: string): number {
  const match = /^(\d+)\s*([a-z]+)$/i.exec(text.trim());
  const unit = match ? UNIT_MS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new UsageError(`--every: '${text}' is not a duration (examples: 30m, 1h, 6 hours, 1d)`);
  const ms = Number(match[1]) * unit;
  if (ms < MIN_EVERY_MS || ms > MAX_EVERY_MS) throw new UsageError(`--every: '${text}' must be between 1 minute and 366 days`);
  return ms;
}

const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const CRON_FIELDS: { name: string; min: number; max: number; names?: string[] }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/** Checks one comma-separated cron field: `*`, `n`, `a-b`, any of them `/step`, or month/day names. */
function checkCronField(text: string, field: (typeof CRON_FIELDS)[number], expr: string): void {
  const bad = (why: string) => new UsageError(`--cron: '${expr}': ${field.name} field '${text}' ${why}`);
  for (const part of text.split(',')) {
    const m = /^(\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw bad('is not valid (use *, n, a-b, */n or lists)');
    if (m[2] !== undefined && Number(m[2]) < 1) throw bad('has a zero step');
    if (m[1] === '*') continue;
    for (const v of m[1]!.split('-')) {
      const byName = field.names?.indexOf(v.toUpperCase()) ?? -1;
      if (byName >= 0) continue;
      if (!/^\d+$/.test(v)) throw bad(`has an unknown value '${v}'`);
      const n = Number(v);
      if (n < field.min || n > field.max) throw bad(`is out of range (${field.min}-${field.max})`);
    }
  }
}

/** `--cron`: five fields (minute hour day-of-month month day-of-week) or a macro such as `@hourly`. */
export function parseCron(text: string): string {
  const expr = text.trim().replace(/\s+/g, ' ');
  if (expr.startsWith('@')) {
    if (!CRON_MACROS.includes(expr.toLowerCase())) throw new UsageError(`--cron: '${text}' is not one of ${CRON_MACROS.join(', ')}`);
    return expr.toLowerCase();
  }
  if (/^CRON_TZ=/i.test(expr)) throw new UsageError(`--cron: give the time zone with --timezone, not CRON_TZ=`);
  const fields = expr.split(' ');
  if (fields.length !== 5) throw new UsageError(`--cron: '${text}' has ${fields.length} field(s); expected 5 (minute hour day-of-month month day-of-week) or @hourly/@daily/...`);
  fields.forEach((f, i) => checkCronField(f, CRON_FIELDS[i]!, text));
  return expr;
}

/** `--timezone`: an IANA name (`Europe/Berlin`, `UTC`), checked against the runtime's time-zone data. */
export function parseTimezone(text: string): string {
  const tz = text.trim();
  try {
    if (!tz) throw new RangeError('empty');
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new UsageError(`--timezone: '${text}' is not a known IANA time zone (examples: UTC, Europe/Berlin, America/New_York)`);
  }
  return tz;
}

/** Validates the timing options and turns them into a Temporal schedule spec. */
export function scheduleSpecOf(timing: ScheduleTiming): ScheduleSpec {
  const hasEvery = timing.every !== undefined;
  const hasCron = timing.cron !== undefined;
  if (hasEvery === hasCron) throw new UsageError('give exactly one of --every and --cron');
  if (hasEvery) {
    if (timing.timezone !== undefined) throw new UsageError('--timezone applies to --cron only (an interval does not depend on the time zone)');
    return { intervals: [{ every: parseEvery(timing.every!) }] };
  }
  const cron = parseCron(timing.cron!);
  return { cronExpressions: [cron], ...(timing.timezone !== undefined ? { timezone: parseTimezone(timing.timezone) } : {}) };
}
