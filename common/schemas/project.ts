import { z } from 'zod';
import { projectNameProblem } from '../project';
import { BUILTIN_ALGORITHMS } from '../types/algorithm';
import { isModelFamily } from '../types/model';
import { outOfRangePolicySchema } from './feature-schema';
import {
  approvalSchema,
  comparisonSchema,
  dataChecksSchema,
  deploymentPolicyFields,
  durationSchema,
  governanceActionSchema,
  hyperparameterValueSchema,
  instanceTypeSchema,
  modelDeploymentSchema,
  readingsWithinLimit,
  splitSchema,
} from './run-settings';

/**
 * The project file (`projects/<name>/project.yaml`): everything that makes a model a project of
 * this stack, as configuration: the dataset spec (label, id columns, every feature with its type
 * and rules), the algorithms with their hyperparameters, and the run's thresholds and policies.
 * `mlops project init` writes one from a CSV; people edit and commit it. One format, validated
 * here (no I/O), so the CLI, the webhook, the worker and the tests read one definition.
 */

/** The largest number of levels a categorical column may have (each level is a model feature). */
export const MAX_LEVELS_LIMIT = 1000;
export const DEFAULT_MAX_LEVELS = 50;
export const OTHER_LEVEL = '__other__';

const columnName = z
  .string()
  .min(1)
  .max(200)
  .refine((n) => n.trim() === n && ![...n].some((c) => c === ',' || c === '"' || c.charCodeAt(0) < 0x20), 'a column name without surrounding spaces, commas, quotes or control characters');

const numericRules = {
  min: z.number().optional(),
  max: z.number().optional(),
  allowed: z.array(z.number()).min(1).optional(),
  outOfRange: outOfRangePolicySchema.optional(),
};

const missingPolicy = z.enum(['reject', 'impute', 'pass']);

/** What `project init` saw in the file (informational; not a rule). */
const profileSchema = z
  .object({
    missingShare: z.number().min(0).max(1).optional(),
    distinct: z.number().int().min(0).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .strict()
  .optional();

const numericFeatureSchema = z
  .object({
    name: columnName,
    type: z.enum(['integer', 'float', 'binary']),
    ...numericRules,
    missing: missingPolicy.optional(),
    impute: z.enum(['median', 'mean']).optional(),
    profile: profileSchema,
  })
  .strict();

const categoricalFeatureSchema = z
  .object({
    name: columnName,
    type: z.literal('categorical'),
    /** The levels, each becoming a model feature (one-hot); absent: those of the training file. */
    levels: z
      .array(z.string().min(1).refine((v) => v.trim() === v, 'a level without surrounding spaces').refine((v) => v !== OTHER_LEVEL, `'${OTHER_LEVEL}' is reserved for unseen values`))
      .min(1)
      .optional(),
    /** A value that is not a level, at scoring or serving: refused (400 naming record, field and value) or mapped to `__other__`. */
    unseen: z.enum(['reject', 'other']).optional(),
    maxLevels: z.number().int().min(1).max(MAX_LEVELS_LIMIT).optional(),
    missing: missingPolicy.optional(),
    impute: z.literal('mode').optional(),
    profile: profileSchema,
  })
  .strict();

export const datasetFeatureSchema = z.discriminatedUnion('type', [numericFeatureSchema, categoricalFeatureSchema]);
export type DatasetFeature = z.infer<typeof datasetFeatureSchema>;

/** The dataset spec the pre-processing job reads (algorithms/mlops_algorithms/preprocess/spec.py checks the same rules). */
export const datasetSpecSchema = z
  .object({
    label: z
      .object({
        name: columnName,
        type: z.enum(['float', 'integer']),
        min: z.number().optional(),
        max: z.number().optional(),
        /** A row without a label: refused, or left out of the run. */
        missing: z.enum(['reject', 'drop']).optional(),
      })
      .strict(),
    idColumns: z.array(columnName).default([]),
    /** Texts read as a missing value besides the empty field (`NA`, `?`). */
    missingValues: z.array(z.string().max(20)).optional(),
    /** The default maxLevels of the categorical columns. */
    maxLevels: z.number().int().min(1).max(MAX_LEVELS_LIMIT).optional(),
    features: z.array(datasetFeatureSchema).min(1),
    oneHotGroups: z.array(z.object({ name: z.string().min(1), columns: z.array(columnName).min(2) }).strict()).optional(),
    outOfRange: z.object({ policy: z.enum(['reject', 'flag']).optional(), tolerance: z.number().min(0).optional(), rejectBeyond: z.number().min(0).optional() }).strict().optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const names = [spec.label.name, ...spec.idColumns, ...spec.features.map((f) => f.name)];
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) ctx.addIssue({ code: 'custom', message: `column '${n}' is declared twice (label, id columns and features name each column once)`, path: ['features'] });
      seen.add(n);
    }
    spec.features.forEach((f, i) => {
      if (f.impute !== undefined && f.missing !== 'impute') ctx.addIssue({ code: 'custom', message: "'impute' is only used with missing: impute", path: ['features', i, 'impute'] });
      if (f.type !== 'categorical') return;
      const max = f.maxLevels ?? spec.maxLevels ?? DEFAULT_MAX_LEVELS;
      if (f.levels && f.levels.length > max) {
        ctx.addIssue({ code: 'custom', message: `${f.levels.length} levels, more than its maxLevels ${max} (each level is a model feature; raise maxLevels or name the column in idColumns)`, path: ['features', i, 'levels'] });
      }
      if (f.levels && new Set(f.levels).size !== f.levels.length) ctx.addIssue({ code: 'custom', message: 'a level is named twice', path: ['features', i, 'levels'] });
      for (const level of [...(f.levels ?? []), OTHER_LEVEL]) {
        if (seen.has(`${f.name}=${level}`)) ctx.addIssue({ code: 'custom', message: `its level column '${f.name}=${level}' would take the name of another column`, path: ['features', i, 'name'] });
      }
    });
    const byName = new Map(spec.features.map((f) => [f.name, f]));
    (spec.oneHotGroups ?? []).forEach((g, i) => {
      for (const c of g.columns) if (byName.get(c)?.type !== 'binary') ctx.addIssue({ code: 'custom', message: `column '${c}' is not a binary feature`, path: ['oneHotGroups', i, 'columns'] });
    });
  });

export type DatasetSpec = z.infer<typeof datasetSpecSchema>;

const algorithmCommon = {
  name: z.string().refine(isModelFamily, 'an algorithm name (its model family): lower-case letters, digits and inner hyphens, at most 32'),
  hyperparameters: z.record(z.string(), hyperparameterValueSchema).default({}),
  instanceType: instanceTypeSchema('training').optional(),
  instanceCount: z.number().int().min(1).max(64).optional(),
  rmseThreshold: z.number().positive().optional(),
  comparison: comparisonSchema.optional(),
  /** This model's step 10 (policy, alarms, autoscaling) over the project's `deployment`, as in a run configuration's `models.<family>.deployment`. */
  deployment: modelDeploymentSchema.optional(),
  enabled: z.boolean().default(true),
};

const builtinAlgorithmSchema = z.object({ kind: z.enum(BUILTIN_ALGORITHMS), ...algorithmCommon }).strict();

const byoAlgorithmSchema = z
  .object({
    kind: z.literal('byo'),
    ...algorithmCommon,
    /** aws backend: the container image (an ECR URI). */
    image: z.string().regex(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/, 'must be a container image URI such as 111122223333.dkr.ecr.us-east-1.amazonaws.com/repo:tag').optional(),
    /** local backend: the entry point, run with `train` or `serve` appended. */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** local backend: the directory it runs in, relative to the repository root. */
    dir: z
      .string()
      .min(1)
      .refine((d) => !d.split('/').includes('..'), "must stay inside the repository (no '..')")
      .optional(),
    acceptsMissing: z.boolean().default(false),
    metricDefinitions: z.array(z.object({ name: z.string().regex(/^(train|validation|test):[a-z0-9_:]+$/), regex: z.string().min(1) }).strict()).optional(),
  })
  .strict()
  .refine((a) => a.image !== undefined || a.command !== undefined, { message: 'a bring-your-own algorithm needs a command (local backend), an image (aws backend), or both' });

/** Every algorithm kind a project may name, for the message that refuses another one. */
export const ALGORITHM_KINDS = [...BUILTIN_ALGORITHMS, 'byo'] as const;

const algorithmSchema = z.unknown().superRefine((value, ctx) => {
  const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
  if (!(ALGORITHM_KINDS as readonly unknown[]).includes(kind)) {
    ctx.addIssue({ code: 'custom', message: `unknown algorithm '${String(kind)}' (known: ${ALGORITHM_KINDS.join(', ')}; 'byo' brings your own container)`, path: ['kind'] });
  }
}).pipe(z.discriminatedUnion('kind', [builtinAlgorithmSchema, byoAlgorithmSchema]));

export type ProjectAlgorithm = z.infer<typeof builtinAlgorithmSchema> | z.infer<typeof byoAlgorithmSchema>;

export const projectFileSchema = z
  .object({
    schemaVersion: z.literal(1),
    name: z.string().superRefine((n, ctx) => {
      const problem = projectNameProblem(n);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    description: z.string().max(2000).optional(),
    /** Files of the project, relative to the repository root: the training data `mlops train --project` uses by default. */
    data: z.object({ training: z.string().min(1).optional(), scoring: z.string().min(1).optional() }).strict().optional(),
    dataset: datasetSpecSchema,
    algorithms: z.array(algorithmSchema).min(1),
    training: z
      .object({
        rmseThreshold: z.number().positive().optional(),
        split: splitSchema.optional(),
        dataChecks: dataChecksSchema.optional(),
        comparison: comparisonSchema.optional(),
        dataShift: z.object({ onShift: governanceActionSchema }).strict().optional(),
        approval: approvalSchema.optional(),
        maxJobRuntimeSeconds: z.number().int().min(60).max(432000).optional(),
        instanceType: instanceTypeSchema('training').optional(),
        processingInstanceType: instanceTypeSchema('processing').optional(),
        transformInstanceType: instanceTypeSchema('transform').optional(),
      })
      .strict()
      .optional(),
    deployment: z
      .object({
        enabled: z.boolean().default(true),
        instanceType: instanceTypeSchema('endpoint').optional(),
        instanceCount: z.number().int().min(1).max(16).optional(),
        samplingPercentage: z.number().int().min(0).max(100).optional(),
        /** How step 10 moves traffic, what rolls it back, and autoscaling: the run configuration's own schema (run-settings.ts). */
        ...deploymentPolicyFields,
      })
      .strict()
      .superRefine((value, ctx) => readingsWithinLimit(value, ctx))
      .optional(),
    monitoring: z
      .object({
        /** The monitoring schedule `mlops schedule create monitoring --project` sets up (e.g. '1 hour'). */
        every: durationSchema.optional(),
        captureSettleSeconds: z.number().int().min(0).max(3600).optional(),
      })
      .strict()
      .optional(),
    retraining: z
      .object({
        policy: z.enum(['notify', 'retrain', 'approve-then-retrain']).optional(),
        coolDown: durationSchema.optional(),
        approvalTimeout: durationSchema.optional(),
        trainingDataUri: z.string().regex(/^s3:\/\//, 'must be an s3:// URI').optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((file, ctx) => {
    const names = new Set<string>();
    file.algorithms.forEach((a, i) => {
      if (names.has(a.name)) ctx.addIssue({ code: 'custom', message: `algorithm name '${a.name}' is used twice (each names one model family)`, path: ['algorithms', i, 'name'] });
      names.add(a.name);
      // An algorithm's deployment takes what it does not set from the project's (model-branch.ts):
      // the readings limit holds for what it merges to.
      const own = a.deployment;
      if (own && (own.policy !== undefined || own.alarms !== undefined)) {
        readingsWithinLimit({ policy: own.policy ?? file.deployment?.policy, alarms: own.alarms ?? file.deployment?.alarms }, ctx, ['algorithms', i, 'deployment', 'alarms', 'evaluationInterval']);
      }
    });
    // Only once every entry parsed (an unknown kind already has its own message).
    if (file.algorithms.every((a) => typeof (a as { enabled?: unknown } | undefined)?.enabled === 'boolean') && !file.algorithms.some((a) => a.enabled)) ctx.addIssue({ code: 'custom', message: 'at least one algorithm must be enabled', path: ['algorithms'] });
    // A feature that passes missing values on needs algorithms that read them as such.
    const passing = file.dataset.features.filter((f) => f.missing === 'pass').map((f) => f.name);
    if (passing.length) {
      file.algorithms.forEach((a, i) => {
        const takesMissing = a.kind === 'xgboost' || (a.kind === 'byo' && a.acceptsMissing);
        if (a.enabled && !takesMissing) {
          ctx.addIssue({ code: 'custom', message: `${a.name} (${a.kind}) takes no missing values, but feature(s) ${passing.join(', ')} pass them on (missing: pass): impute them, or use algorithms that take missing values`, path: ['algorithms', i, 'kind'] });
        }
      });
    }
  });

export type ProjectFile = z.infer<typeof projectFileSchema>;
