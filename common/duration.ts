/** Parses '90 seconds', '4 hours', '3 days', '45m', '2h', '1d' into milliseconds. */
export function durationMs(text: string): number {
  const match = DURATION.exec(text);
  if (!match) throw new Error(`'${text}' is not a duration (e.g. '30 minutes', '4 hours', '3 days')`);
  const value = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  const factor = unit.startsWith('ms') || unit.startsWith('milli') ? 1 : unit.startsWith('s') ? 1000 : unit.startsWith('m') ? 60_000 : unit.startsWith('h') ? 3_600_000 : 86_400_000;
  return Math.round(value * factor);
}

/** A duration as `durationMs` reads it. */
export const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|seconds?|m|minutes?|h|hours?|d|days?)\s*$/i;
