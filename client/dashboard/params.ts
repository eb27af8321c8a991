import { z } from 'zod';
import { PROJECT_NAME_PATTERN } from '../../common/project';
import { DEMO_MODEL_FAMILIES as MODEL_FAMILIES, isModelFamily, type ModelFamily } from '../../common/types/model';

/** A time window of the API: both ends optional; `from` inclusive, `to` exclusive. */
export interface TimeWindow {
  from?: Date;
  to?: Date;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * An ISO date (`2026-03-02`, a whole UTC day) or date-time (`2026-03-02T10:00:00Z`). A date as
 * `from` means the start of that day; as `to`, its end (the next day's start).
 */
function isoInstant(end: 'from' | 'to') {
  return z
    .string()
    .trim()
    .refine((s) => (DATE_ONLY.test(s) || DATE_TIME.test(s)) && Number.isFinite(Date.parse(DATE_ONLY.test(s) ? `${s}T00:00:00Z` : s)), {
      message: `${end} must be an ISO date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS]Z)`,
    })
    .transform((s) => {
      if (!DATE_ONLY.test(s)) return new Date(s);
      const start = new Date(`${s}T00:00:00Z`);
      return end === 'from' ? start : new Date(start.getTime() + 24 * 3600 * 1000);
    });
}

const family = z
  .string()
  .trim()
  .refine((s) => s === '' || isModelFamily(s), { message: `family must be one of ${MODEL_FAMILIES.join(', ')}, or a family of the chosen project` })
  .transform((s) => (s === '' ? undefined : (s as ModelFamily)));

const project = z
  .string()
  .trim()
  .refine((s) => s === '' || PROJECT_NAME_PATTERN.test(s), { message: 'project must be a project name (lower-case letters, digits, hyphens)' })
  .transform((s) => (s === '' ? undefined : s));

/** A project's families are its own: with a project, any family name; without one, the demo's. */
function familyOfProject(q: { project?: string | undefined; family?: string | undefined }, ctx: z.RefinementCtx): void {
  if (q.project === undefined && q.family !== undefined && !MODEL_FAMILIES.includes(q.family)) ctx.addIssue({ code: 'custom', path: ['family'], message: `family must be one of ${MODEL_FAMILIES.join(', ')}` });
}

const endpoint = z
  .string()
  .trim()
  .refine((s) => s === '' || /^[A-Za-z0-9](-*[A-Za-z0-9]){0,62}$/.test(s), { message: 'endpoint must be an endpoint name (letters, digits, hyphens)' })
  .transform((s) => (s === '' ? undefined : s));

/** An empty query value (`?from=`) means "not set", as a form sends it. */
const timeWindowShape = {
  from: z.preprocess((v) => (v === '' ? undefined : v), isoInstant('from').optional()),
  to: z.preprocess((v) => (v === '' ? undefined : v), isoInstant('to').optional()),
};

function ordered(q: TimeWindow): boolean {
  return !q.from || !q.to || q.from.getTime() < q.to.getTime();
}
const orderMessage = { message: 'from must be before to' };

export const driftQuery = z
  .strictObject({ project: project.optional(), family: family.optional(), endpoint: endpoint.optional(), ...timeWindowShape })
  .superRefine(familyOfProject)
  .refine(ordered, orderMessage);
export const inferenceQuery = driftQuery;
export const scoringQuery = z
  .strictObject({ project: project.optional(), family: family.optional(), ...timeWindowShape })
  .superRefine(familyOfProject)
  .refine(ordered, orderMessage);
export const modelsQuery = z.strictObject({ project: project.optional(), family: family.optional() }).superRefine(familyOfProject);
export const filtersQuery = z.strictObject({});
export const deploymentsQuery = driftQuery;
/** One deployment: `<endpoint>/v<version>` (what the list and `mlops deployments show` name it by). */
export const deploymentQuery = z.strictObject({
  id: z.string().trim().min(1, 'id is required').max(200, 'id is too long'),
  project: project.optional(),
});
export const dataQuery = z.strictObject({ uri: z.string().min(1, 'uri is required').max(2048, 'uri is too long') });

export type DriftQuery = z.infer<typeof driftQuery>;
export type ScoringQuery = z.infer<typeof scoringQuery>;

/** Zod's first issue as one short sentence (the 400 body's message). */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid query';
  if (issue.code === 'unrecognized_keys') return `unknown query parameter${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.path.length) return `${issue.path.join('.')} must be given once, as text`;
  return issue.message;
}

/** The `dt=` partitions a window touches (the partition column is UTC). */
export function partitionRange(w: TimeWindow): { fromDay?: string; toDay?: string } {
  const out: { fromDay?: string; toDay?: string } = {};
  if (w.from) out.fromDay = w.from.toISOString().slice(0, 10);
  if (w.to) out.toDay = new Date(w.to.getTime() - 1).toISOString().slice(0, 10);
  return out;
}

export function inWindow(t: Date, w: TimeWindow): boolean {
  const ms = t.getTime();
  return (!w.from || ms >= w.from.getTime()) && (!w.to || ms < w.to.getTime());
}
