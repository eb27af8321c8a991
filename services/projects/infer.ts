import { parse as parseCsv } from 'csv-parse/sync';
import { DEFAULT_INSTANCE_TYPES } from '../../common/config/instance-types';
import { projectNameProblem } from '../../common/project';
import { DEFAULT_MAX_LEVELS, MAX_LEVELS_LIMIT, OTHER_LEVEL, projectFileSchema, type DatasetFeature, type ProjectFile } from '../../common/schemas/project';
import { issueLines } from '../../common/schemas/run-settings';
import { DEFAULT_HYPERPARAMETERS } from '../training/defaults';
import { UsageError } from '../usage-error';

/**
 * `mlops project init`: a project file inferred from one read of a CSV. Each column becomes the
 * label, an id column or a feature with its type (integer, float, binary, categorical), its
 * levels or allowed values when it has few, the missing-value rule when some are missing, and a
 * profile of what was seen (missing share, distinct values, range). Refuses what no run could
 * train on, naming the file and column: a label that is not a column or not numeric, a feature
 * that is entirely empty, a text column with more distinct values than maxLevels.
 */

/** Texts read as a missing value besides the empty field. */
const MISSING_TOKENS = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None', '?']);
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** Integer columns with at most this many distinct values get an `allowed` list (Cylinder: 4, 6, 8). */
const ALLOWED_MAX = 10;
const ID_NAME = /^(id|rownames|uuid|guid|index|key)$|[_ -]id$|^id[_ -]/i;
/** The largest CSV `project init` reads (it reads the whole file once, in memory). */
export const MAX_INIT_BYTES = 512 * 1024 * 1024;

export interface InferOptions {
  /** The file's name in messages. */
  file: string;
  label: string;
  name: string;
  /** Columns to keep as ids (passed through scoring, never features), besides those inferred. */
  idColumns?: string[];
  maxLevels?: number;
  /** The training data as the project file names it (relative to the repository root, or an s3:// URI). */
  dataRef?: string;
}

interface ColumnProfile {
  name: string;
  present: number;
  missing: number;
  numeric: boolean;
  integer: boolean;
  min: number;
  max: number;
  distinct: Set<string>;
  /** Whether more distinct values than this was seen (the set stops growing past it). */
  overflow: boolean;
}

const DISTINCT_CAP = MAX_LEVELS_LIMIT + 1;

export function inferProject(csv: string, options: InferOptions): ProjectFile {
  const nameProblem = projectNameProblem(options.name);
  if (nameProblem) throw new UsageError(`--name: '${options.name}' ${nameProblem}`);
  const maxLevels = options.maxLevels ?? DEFAULT_MAX_LEVELS;
  let rows: string[][];
  try {
    rows = parseCsv(csv, { bom: true, skip_empty_lines: true, relax_column_count: false, trim: true }) as string[][];
  } catch (err) {
    throw new UsageError(`${options.file}: not a CSV file this can read (${(err as Error).message.split('\n')[0]})`);
  }
  const [header, ...body] = rows;
  if (!header || header.length < 2) throw new UsageError(`${options.file}: needs a header line and at least two columns (a label and a feature)`);
  if (body.length === 0) throw new UsageError(`${options.file}: has a header but no rows`);
  const seen = new Set<string>();
  for (const h of header) {
    if (!h) throw new UsageError(`${options.file}: the header has an empty column name`);
    if (seen.has(h)) throw new UsageError(`${options.file}: column '${h}' appears twice in the header`);
    seen.add(h);
  }
  if (!seen.has(options.label)) throw new UsageError(`${options.file}: --label: '${options.label}' is not a column of the file (columns: ${header.join(', ')})`);
  for (const id of options.idColumns ?? []) {
    if (!seen.has(id)) throw new UsageError(`${options.file}: --id: '${id}' is not a column of the file (columns: ${header.join(', ')})`);
    if (id === options.label) throw new UsageError(`${options.file}: --id: '${id}' is the label`);
  }

  const profiles = header.map((name): ColumnProfile => ({ name, present: 0, missing: 0, numeric: true, integer: true, min: Infinity, max: -Infinity, distinct: new Set(), overflow: false }));
  const tokensSeen = new Set<string>(['']);
  for (const row of body) {
    for (let c = 0; c < profiles.length; c++) {
      const p = profiles[c]!;
      const value = row[c] ?? '';
      if (MISSING_TOKENS.has(value)) {
        p.missing++;
        tokensSeen.add(value);
        continue;
      }
      p.present++;
      if (!p.overflow) {
        p.distinct.add(value);
        if (p.distinct.size >= DISTINCT_CAP) p.overflow = true;
      }
      if (p.numeric) {
        if (!NUMBER.test(value)) {
          p.numeric = false;
          continue;
        }
        const n = Number(value);
        if (p.integer && !Number.isInteger(n)) p.integer = false;
        if (n < p.min) p.min = n;
        if (n > p.max) p.max = n;
      }
    }
  }

  const share = (p: ColumnProfile) => round(p.missing / body.length, 4);
  const labelProfile = profiles.find((p) => p.name === options.label)!;
  if (labelProfile.present === 0) throw new UsageError(`${options.file}: --label: column '${options.label}' is entirely empty`);
  if (!labelProfile.numeric) throw new UsageError(`${options.file}: --label: column '${options.label}' is not numeric (a regression label is a number)`);

  const explicitIds = new Set(options.idColumns ?? []);
  const idColumns: string[] = [];
  const features: DatasetFeature[] = [];
  for (const p of profiles) {
    if (p.name === options.label) continue;
    if (explicitIds.has(p.name)) {
      idColumns.push(p.name);
      continue;
    }
    if (p.present === 0) throw new UsageError(`${options.file}: feature '${p.name}' is entirely empty (every row is missing); drop the column or name it with --id`);
    const unique = !p.overflow && p.distinct.size === p.present && p.present === body.length;
    // An id: named like one and unique, or a text column with a different value on every row.
    if ((ID_NAME.test(p.name) && (unique || p.overflow)) || (!p.numeric && unique && body.length > maxLevels)) {
      idColumns.push(p.name);
      continue;
    }
    features.push(p.numeric ? numericFeature(p, share(p)) : categoricalFeature(p, share(p), maxLevels, options.file));
  }
  if (features.length === 0) throw new UsageError(`${options.file}: no feature left besides the label and id columns`);

  const missingLabels = labelProfile.missing > 0;
  const draft = {
    schemaVersion: 1 as const,
    name: options.name,
    description: `Predicts ${options.label} from ${features.length} column(s) of ${options.file} (written by mlops project init; edit and commit).`,
    ...(options.dataRef ? { data: { training: options.dataRef } } : {}),
    dataset: {
      label: {
        name: options.label,
        type: labelProfile.integer ? ('integer' as const) : ('float' as const),
        ...(labelProfile.min >= 0 ? { min: 0 } : {}),
        ...(missingLabels ? { missing: 'drop' as const } : {}),
      },
      idColumns,
      missingValues: [...tokensSeen].sort(),
      ...(maxLevels !== DEFAULT_MAX_LEVELS ? { maxLevels } : {}),
      features,
    },
    algorithms: [
      { kind: 'xgboost' as const, name: 'xgboost', hyperparameters: { ...DEFAULT_HYPERPARAMETERS.xgboost } },
      { kind: 'linear-learner' as const, name: 'linear-learner', hyperparameters: { ...DEFAULT_HYPERPARAMETERS['linear-learner'] } },
    ],
    training: {
      split: { seed: 42, validationFraction: 0.15, testFraction: 0.15 },
      dataChecks: { minRowsPerSplit: 10, maxDuplicateShare: 0.5 },
      comparison: { minImprovement: 0, minRelativeImprovement: 0, onIncomparable: 'require-approval' as const },
      dataShift: { onShift: 'require-approval' as const },
      approval: { policy: 'auto' as const, reminderAfter: '4 hours', timeoutAfter: '3 days', onTimeout: 'reject' as const },
    },
    // The default policy written out, so the person editing the file sees where canary, linear or
    // shadow goes (and alarms, autoscaling, or an algorithm's own `deployment`).
    deployment: { enabled: true, instanceType: DEFAULT_INSTANCE_TYPES.endpoint, instanceCount: 1, samplingPercentage: 100, policy: { type: 'all-at-once' as const, finalBake: '0 seconds' } },
    monitoring: { every: '1 hour' },
    retraining: { policy: 'notify' as const, coolDown: '24 hours', approvalTimeout: '3 days' },
  };
  // What init writes must be a file validate accepts: checked here with the same schema.
  const checked = projectFileSchema.safeParse(draft);
  if (!checked.success) throw new UsageError(`${options.file}: the inferred project is not valid: ${issueLines(checked.error).join('; ')}`);
  return draft as ProjectFile;
}

function numericFeature(p: ColumnProfile, missingShare: number): DatasetFeature {
  const values = [...p.distinct].map(Number);
  const binary = !p.overflow && values.every((v) => v === 0 || v === 1) && values.length === 2;
  const type = binary ? 'binary' : p.integer ? 'integer' : 'float';
  const allowed = type === 'integer' && !p.overflow && values.length <= ALLOWED_MAX && values.length > 1 ? [...new Set(values)].sort((a, b) => a - b) : undefined;
  return {
    name: p.name,
    type,
    ...(allowed ? { allowed } : type !== 'binary' && p.min >= 0 ? { min: 0 } : {}),
    ...(p.missing > 0 ? { missing: 'impute' as const, impute: 'median' as const } : {}),
    profile: { missingShare, distinct: p.overflow ? DISTINCT_CAP : p.distinct.size, min: p.min, max: p.max },
  };
}

function categoricalFeature(p: ColumnProfile, missingShare: number, maxLevels: number, file: string): DatasetFeature {
  const levels = [...p.distinct].sort();
  if (p.overflow || levels.length > maxLevels) {
    throw new UsageError(
      `${file}: categorical column '${p.name}' has ${p.overflow ? `more than ${MAX_LEVELS_LIMIT}` : levels.length} distinct values, more than maxLevels ${maxLevels} (each level is a model feature): raise --max-levels, or name it with --id if it identifies rows`,
    );
  }
  const reserved = levels.find((l) => l === OTHER_LEVEL);
  if (reserved) throw new UsageError(`${file}: categorical column '${p.name}' has the value '${OTHER_LEVEL}', which is reserved for unseen values`);
  return {
    name: p.name,
    type: 'categorical',
    levels,
    unseen: 'reject',
    ...(p.missing > 0 ? { missing: 'impute' as const, impute: 'mode' as const } : {}),
    profile: { missingShare, distinct: levels.length },
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
