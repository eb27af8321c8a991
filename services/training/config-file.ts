import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { durationMs } from '../../common/duration';
import { DEFAULT_ROLLBACK_ALARMS, MAX_ALARM_READINGS, SANITY_TOLERANCES } from '../../common/types/deployment';
import { DEMO_MODEL_FAMILIES, isModelFamily } from '../../common/types/model';
import type { TrainingConfig } from '../../common/types/training';
import {
  comparisonSchema,
  durationSchema as duration,
  governanceActionSchema as governanceAction,
  hyperparameterValueSchema as hyperparameterValue,
  instanceTypeSchema as instanceType,
} from '../../common/schemas/run-settings';

/** Step 10's policy (how traffic moves to the new model); every policy ends with a final baking period. */
const policySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('all-at-once'), finalBake: duration.default('0 seconds') }).strict(),
  z.object({ type: z.literal('canary'), canaryShare: z.number().gt(0).lt(1).default(0.1), canaryBake: duration.default('5 minutes'), finalBake: duration.default('5 minutes') }).strict(),
  z.object({ type: z.literal('linear'), stepShare: z.number().gt(0).lt(1).default(0.2), stepInterval: duration.default('2 minutes'), finalBake: duration.default('5 minutes') }).strict(),
  z
    .object({
      type: z.literal('shadow'),
      shadowShare: z.number().gt(0).max(1).default(0.2),
      shadowPeriod: duration.default('10 minutes'),
      promotion: z.enum(['auto', 'manual']).default('auto'),
      maxMedianRelativeDifference: z.number().min(0).optional(),
      decisionTimeout: duration.default('1 day'),
      finalBake: duration.default('5 minutes'),
    })
    .strict(),
]);

/** What rolls a deployment back; fields left out keep the defaults. */
const alarmsSchema = z
  .object({
    maxErrorRate: z.number().min(0).max(1).default(DEFAULT_ROLLBACK_ALARMS.maxErrorRate),
    maxP99LatencyMs: z.number().positive().default(DEFAULT_ROLLBACK_ALARMS.maxP99LatencyMs),
    predictionSanity: z
      .object({
        maxOutOfRangeShare: z.number().min(0).max(1),
        tolerance: z
          .number()
          .refine((t) => (SANITY_TOLERANCES as readonly number[]).includes(t), `must be one of ${SANITY_TOLERANCES.join(', ')}`)
          .default(0),
      })
      .strict()
      .optional(),
    minInvocations: z.number().int().min(1).default(DEFAULT_ROLLBACK_ALARMS.minInvocations),
    window: duration.default(DEFAULT_ROLLBACK_ALARMS.window),
    evaluationInterval: duration.default(DEFAULT_ROLLBACK_ALARMS.evaluationInterval),
  })
  .strict();

const autoscalingSchema = z
  .object({
    minInstances: z.number().int().min(1).max(16),
    maxInstances: z.number().int().min(1).max(16),
    targetInvocationsPerInstancePerMinute: z.number().positive(),
    scaleOutCooldown: duration.default('1 minute'),
    scaleInCooldown: duration.default('5 minutes'),
  })
  .strict()
  .refine((a) => a.minInstances <= a.maxInstances, { message: 'minInstances must not exceed maxInstances', path: ['maxInstances'] });

export { MAX_ALARM_READINGS };

type PolicyAndAlarms = { policy?: z.infer<typeof policySchema>; alarms?: z.infer<typeof alarmsSchema> };

/** The deployment's alarm readings (its bakes over the evaluation interval) within MAX_ALARM_READINGS. */
function readingsWithinLimit(value: PolicyAndAlarms, ctx: z.RefinementCtx, path: (string | number)[] = ['alarms', 'evaluationInterval']): void {
  const p = value.policy;
  if (!p) return;
  const bake = (() => {
    switch (p.type) {
      case 'all-at-once':
        return durationMs(p.finalBake);
      case 'canary':
        return durationMs(p.canaryBake) + durationMs(p.finalBake);
      case 'linear':
        return Math.ceil(1 / p.stepShare - 1e-9) * durationMs(p.stepInterval) + durationMs(p.finalBake);
      case 'shadow':
        return durationMs(p.shadowPeriod) + durationMs(p.finalBake);
    }
  })();
  const every = Math.max(1000, durationMs(value.alarms?.evaluationInterval ?? DEFAULT_ROLLBACK_ALARMS.evaluationInterval));
  const readings = Math.ceil(bake / every);
  if (readings > MAX_ALARM_READINGS) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: `the policy bakes for ${Math.round(bake / 1000)} s: one alarm reading every ${every / 1000} s is ${readings} readings, more than ${MAX_ALARM_READINGS}; read at least every ${Math.ceil(bake / MAX_ALARM_READINGS / 1000)} seconds`,
    });
  }
}

const modelSchema = z
  .object({
    enabled: z.boolean().default(true),
    hyperparameters: z.record(z.string(), hyperparameterValue).default({}),
    instanceType: instanceType('training').optional(),
    instanceCount: z.number().int().min(1).max(64).optional(),
    rmseThreshold: z.number().positive().optional(),
    comparison: comparisonSchema.optional(),
    deployment: z.object({ policy: policySchema.optional(), alarms: alarmsSchema.optional(), autoscaling: autoscalingSchema.nullable().optional() }).strict().optional(),
  })
  .strict();

/** The `--config FILE` format (JSON): every key optional, merged over the defaults. */
export const trainingConfigFileSchema = z
  .object({
    rmseThreshold: z.number().positive().optional(),
    split: z
      .object({
        seed: z.number().int().min(0).optional(),
        validationFraction: z.number().gt(0).lt(1).optional(),
        testFraction: z.number().gt(0).lt(1).optional(),
      })
      .strict()
      .optional(),
    dataChecks: z
      .object({
        minRowsPerSplit: z.number().int().min(1).max(1_000_000).optional(),
        maxDuplicateShare: z.number().min(0).max(1).optional(),
      })
      .strict()
      .optional(),
    /** Per model family of the project (checked against the project's algorithms when the file is read). */
    models: z.record(z.string().refine(isModelFamily, 'must be a model family name (lower-case letters, digits, inner hyphens)'), modelSchema).optional(),
    comparison: comparisonSchema.optional(),
    dataShift: z.object({ onShift: governanceAction }).strict().optional(),
    preprocessing: z.object({ instanceType: instanceType('processing').optional() }).strict().optional(),
    baselines: z.object({ instanceType: instanceType('processing').optional(), transformInstanceType: instanceType('transform').optional() }).strict().optional(),
    maxJobRuntimeSeconds: z.number().int().min(60).max(432000).optional(),
    approval: z
      .object({
        policy: z.enum(['auto', 'manual', 'manual-first-version']).optional(),
        reminderAfter: duration.optional(),
        timeoutAfter: duration.optional(),
        onTimeout: z.enum(['reject', 'approve']).optional(),
      })
      .strict()
      .optional(),
    deployment: z
      .object({
        enabled: z.boolean().optional(),
        endpointNamePrefix: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/, 'lower-case letters, digits and inner hyphens, at most 32').optional(),
        instanceType: instanceType('endpoint').optional(),
        instanceCount: z.number().int().min(1).max(16).optional(),
        dataCapture: z
          .object({
            enabled: z.boolean().optional(),
            samplingPercentage: z.number().int().min(0).max(100).optional(),
            destinationUri: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'must be an s3:// URI').optional(),
          })
          .strict()
          .optional(),
        policy: policySchema.optional(),
        alarms: alarmsSchema.optional(),
        autoscaling: autoscalingSchema.optional(),
      })
      .strict()
      .superRefine((value, ctx) => readingsWithinLimit(value, ctx))
      .optional(),
  })
  .strict()
  .superRefine((file, ctx) => {
    // A model's deployment takes what it does not set (its policy or its alarms) from the
    // top-level one (model-branch.ts): the readings limit holds for what it merges to.
    for (const [family, model] of Object.entries(file.models ?? {})) {
      const own = model?.deployment;
      if (!own || (own.policy === undefined && own.alarms === undefined)) continue;
      readingsWithinLimit({ policy: own.policy ?? file.deployment?.policy, alarms: own.alarms ?? file.deployment?.alarms }, ctx, ['models', family, 'deployment', 'alarms', 'evaluationInterval']);
    }
  });

export type TrainingConfigFile = z.infer<typeof trainingConfigFileSchema>;

export class ConfigFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'ConfigFileError';
  }
}

/** Reads a `--config FILE`; its `models` may name only the project's families (default: the demo project's). */
export async function readTrainingConfigFile(file: string, families: readonly string[] = DEMO_MODEL_FAMILIES): Promise<TrainingConfigFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigFileError(file, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigFileError(file, [`not valid JSON (${(err as Error).message})`]);
  }
  const parsed = trainingConfigFileSchema.safeParse(json);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  // The families are the project's: another name is a key the file cannot have.
  const unknown = modelKeys(json).filter((f) => !families.includes(f));
  if (unknown.length) problems.push(`models: Unrecognized key${unknown.length > 1 ? 's' : ''}: ${unknown.map((f) => `"${f}"`).join(', ')} (the project's families: ${families.join(', ')})`);
  if (!parsed.success || problems.length) throw new ConfigFileError(file, problems);
  return parsed.data;
}

function modelKeys(json: unknown): string[] {
  const models = typeof json === 'object' && json !== null ? (json as { models?: unknown }).models : undefined;
  return typeof models === 'object' && models !== null && !Array.isArray(models) ? Object.keys(models) : [];
}

/** Merges a config file over the defaults; hyperparameters merge key by key. */
export function applyConfigFile(base: TrainingConfig, file: TrainingConfigFile): TrainingConfig {
  const config: TrainingConfig = structuredClone(base);
  if (file.rmseThreshold !== undefined) config.rmseThreshold = file.rmseThreshold;
  if (file.split) config.split = { ...config.split, ...file.split };
  if (file.dataChecks) config.dataChecks = { ...config.dataChecks, ...file.dataChecks };
  if (file.maxJobRuntimeSeconds !== undefined) config.maxJobRuntimeSeconds = file.maxJobRuntimeSeconds;
  if (file.comparison) config.comparison = { ...config.comparison, ...file.comparison };
  if (file.dataShift) config.dataShift = file.dataShift;
  if (file.preprocessing?.instanceType) config.preprocessing = { resources: { ...config.preprocessing.resources, instanceType: file.preprocessing.instanceType } };
  if (file.baselines?.instanceType) config.baselines = { ...config.baselines, resources: { ...config.baselines.resources, instanceType: file.baselines.instanceType } };
  if (file.baselines?.transformInstanceType) {
    config.baselines = { ...config.baselines, transformResources: { instanceCount: 1, ...config.baselines.transformResources, instanceType: file.baselines.transformInstanceType } };
  }
  if (file.approval && config.approval) config.approval = { ...config.approval, ...file.approval };
  if (file.deployment?.enabled === false) delete config.deployment;
  else if (file.deployment && config.deployment) {
    const { enabled: _enabled, dataCapture, ...rest } = file.deployment;
    config.deployment = { ...config.deployment, ...rest, dataCapture: { ...config.deployment.dataCapture, ...dataCapture } };
  }
  if (file.models) {
    config.models = config.models
      .filter((m) => file.models?.[m.family]?.enabled !== false)
      .map((m) => {
        const override = file.models?.[m.family];
        if (!override) return m;
        return {
          ...m,
          hyperparameters: { ...m.hyperparameters, ...override.hyperparameters },
          resources: { instanceType: override.instanceType ?? m.resources.instanceType, instanceCount: override.instanceCount ?? m.resources.instanceCount },
          ...(override.rmseThreshold !== undefined ? { rmseThreshold: override.rmseThreshold } : {}),
          ...(override.comparison ? { comparison: override.comparison } : {}),
          ...(override.deployment ? { deployment: override.deployment } : {}),
        };
      });
  }
  return config;
}
