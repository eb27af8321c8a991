import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { DEMO_MODEL_FAMILIES, isModelFamily } from '../../common/types/model';
import type { ModelTrainingConfig, TrainingConfig } from '../../common/types/training';
import {
  comparisonSchema,
  deploymentPolicyFields,
  durationSchema as duration,
  governanceActionSchema as governanceAction,
  hyperparameterValueSchema as hyperparameterValue,
  instanceTypeSchema as instanceType,
  modelDeploymentSchema,
  readingsWithinLimit,
} from '../../common/schemas/run-settings';

const modelSchema = z
  .object({
    enabled: z.boolean().default(true),
    hyperparameters: z.record(z.string(), hyperparameterValue).default({}),
    instanceType: instanceType('training').optional(),
    instanceCount: z.number().int().min(1).max(64).optional(),
    rmseThreshold: z.number().positive().optional(),
    comparison: comparisonSchema.optional(),
    deployment: modelDeploymentSchema.optional(),
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
        ...deploymentPolicyFields,
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
    // The run's file is the last word: a policy, alarms or autoscaling it sets run-wide replaces
    // what the project set for single models too (the file's own `models` may set them again).
    const runWide = (['policy', 'alarms', 'autoscaling'] as const).filter((k) => rest[k] !== undefined);
    if (runWide.length) config.models = config.models.map((m) => withoutDeploymentKeys(m, runWide));
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
          // Key by key over what the project set for the model (its policy stays when the file sets only alarms).
          ...(override.deployment ? { deployment: { ...m.deployment, ...override.deployment } } : {}),
        };
      });
  }
  return config;
}

function withoutDeploymentKeys(model: ModelTrainingConfig, keys: readonly ('policy' | 'alarms' | 'autoscaling')[]): ModelTrainingConfig {
  if (!model.deployment) return model;
  const deployment = { ...model.deployment };
  for (const k of keys) delete deployment[k];
  const { deployment: _old, ...rest } = model;
  return Object.keys(deployment).length ? { ...rest, deployment } : rest;
}
