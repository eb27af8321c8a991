import { z } from 'zod';
import { instanceTypeProblem, type InstanceKind } from '../config/instance-types';
import { durationMs } from '../duration';
import { DEFAULT_ROLLBACK_ALARMS, MAX_ALARM_READINGS, SANITY_TOLERANCES } from '../types/deployment';

/**
 * The zod pieces a run's settings are made of, shared by the `--config FILE` format
 * (services/training/config-file.ts) and the project file (project.ts): one definition of each
 * rule, so both files refuse the same mistakes with the same words.
 */

/** '30 minutes', '4 hours', '3 days', '45m' ... as the workflow's timers read them. */
export const durationSchema = z.string().regex(/^\s*\d+(\.\d+)?\s*(ms|milliseconds?|s|seconds?|m|minutes?|h|hours?|d|days?)\s*$/i, "must be a duration such as '30 minutes', '4 hours' or '3 days'");

/** An instance type SageMaker accepts for that kind of job (the SDK's enum of the kind). */
export const instanceTypeSchema = (kind: InstanceKind) =>
  z.string().superRefine((value, ctx) => {
    const problem = instanceTypeProblem(kind, value, 'instance type');
    if (problem) ctx.addIssue({ code: 'custom', message: problem.replace(/^instance type: /, '') });
  });

/** SageMaker passes every hyperparameter as a string; numbers and booleans are written as such. */
export const hyperparameterValueSchema = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const governanceActionSchema = z.enum(['require-approval', 'reject', 'accept']);

/** Step 6's rule (run-wide, or per model where it overrides the run-wide fields). */
export const comparisonSchema = z
  .object({
    minImprovement: z.number().min(0).optional(),
    minRelativeImprovement: z.number().min(0).max(1).optional(),
    significance: z
      .object({
        confidence: z.number().min(0.5).lt(1).default(0.95),
        iterations: z.number().int().min(100).max(100_000).default(1000),
        seed: z.number().int().min(0).default(42),
      })
      .strict()
      .optional(),
    onIncomparable: governanceActionSchema.optional(),
  })
  .strict();

export const splitSchema = z
  .object({
    seed: z.number().int().min(0).optional(),
    validationFraction: z.number().gt(0).lt(1).optional(),
    testFraction: z.number().gt(0).lt(1).optional(),
  })
  .strict();

export const dataChecksSchema = z
  .object({
    minRowsPerSplit: z.number().int().min(1).max(1_000_000).optional(),
    maxDuplicateShare: z.number().min(0).max(1).optional(),
  })
  .strict();

export const approvalSchema = z
  .object({
    policy: z.enum(['auto', 'manual', 'manual-first-version']).optional(),
    reminderAfter: durationSchema.optional(),
    timeoutAfter: durationSchema.optional(),
    onTimeout: z.enum(['reject', 'approve']).optional(),
  })
  .strict();

export const dataCaptureSchema = z
  .object({
    enabled: z.boolean().optional(),
    samplingPercentage: z.number().int().min(0).max(100).optional(),
    destinationUri: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'must be an s3:// URI').optional(),
  })
  .strict();

/**
 * Step 10's policy (how traffic moves to the new model; docs/decisions/0020); every policy ends
 * with a final baking period. The run configuration and the project file take this one schema.
 */
export const deploymentPolicySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('all-at-once'), finalBake: durationSchema.default('0 seconds') }).strict(),
  z.object({ type: z.literal('canary'), canaryShare: z.number().gt(0).lt(1).default(0.1), canaryBake: durationSchema.default('5 minutes'), finalBake: durationSchema.default('5 minutes') }).strict(),
  z.object({ type: z.literal('linear'), stepShare: z.number().gt(0).lt(1).default(0.2), stepInterval: durationSchema.default('2 minutes'), finalBake: durationSchema.default('5 minutes') }).strict(),
  z
    .object({
      type: z.literal('shadow'),
      shadowShare: z.number().gt(0).max(1).default(0.2),
      shadowPeriod: durationSchema.default('10 minutes'),
      promotion: z.enum(['auto', 'manual']).default('auto'),
      maxMedianRelativeDifference: z.number().min(0).optional(),
      decisionTimeout: durationSchema.default('1 day'),
      finalBake: durationSchema.default('5 minutes'),
    })
    .strict(),
]);

/** What rolls a deployment back; fields left out keep the defaults. */
export const rollbackAlarmsSchema = z
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
    window: durationSchema.default(DEFAULT_ROLLBACK_ALARMS.window),
    evaluationInterval: durationSchema.default(DEFAULT_ROLLBACK_ALARMS.evaluationInterval),
  })
  .strict();

export const autoscalingSchema = z
  .object({
    minInstances: z.number().int().min(1).max(16),
    maxInstances: z.number().int().min(1).max(16),
    targetInvocationsPerInstancePerMinute: z.number().positive(),
    scaleOutCooldown: durationSchema.default('1 minute'),
    scaleInCooldown: durationSchema.default('5 minutes'),
  })
  .strict()
  .refine((a) => a.minInstances <= a.maxInstances, { message: 'minInstances must not exceed maxInstances', path: ['maxInstances'] });

/** The policy, alarms and autoscaling of a run-wide (or project-wide) deployment section. */
export const deploymentPolicyFields = {
  policy: deploymentPolicySchema.optional(),
  alarms: rollbackAlarmsSchema.optional(),
  autoscaling: autoscalingSchema.optional(),
};

/** One model's own step 10 (its fields override the run-wide ones; `autoscaling: null` turns it off for the model). */
export const modelDeploymentSchema = z
  .object({ policy: deploymentPolicySchema.optional(), alarms: rollbackAlarmsSchema.optional(), autoscaling: autoscalingSchema.nullable().optional() })
  .strict();

type PolicyAndAlarms = { policy?: z.infer<typeof deploymentPolicySchema> | undefined; alarms?: z.infer<typeof rollbackAlarmsSchema> | undefined };

/** The deployment's alarm readings (its bakes over the evaluation interval) within MAX_ALARM_READINGS. */
export function readingsWithinLimit(value: PolicyAndAlarms, ctx: z.RefinementCtx, path: (string | number)[] = ['alarms', 'evaluationInterval']): void {
  const p = value.policy;
  if (!p) return;
  // zod runs this refinement even when a field inside already failed (a duration that is not one,
  // a share of 0): that field has its own message, and the count is made of valid values only.
  const ms = (text: string) => (durationSchema.safeParse(text).success ? durationMs(text) : NaN);
  const bake = (() => {
    switch (p.type) {
      case 'all-at-once':
        return ms(p.finalBake);
      case 'canary':
        return ms(p.canaryBake) + ms(p.finalBake);
      case 'linear':
        return p.stepShare > 0 ? Math.ceil(1 / p.stepShare - 1e-9) * ms(p.stepInterval) + ms(p.finalBake) : NaN;
      case 'shadow':
        return ms(p.shadowPeriod) + ms(p.finalBake);
    }
  })();
  const every = Math.max(1000, ms(value.alarms?.evaluationInterval ?? DEFAULT_ROLLBACK_ALARMS.evaluationInterval));
  if (!Number.isFinite(bake) || !Number.isFinite(every)) return;
  const readings = Math.ceil(bake / every);
  if (readings > MAX_ALARM_READINGS) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: `the policy bakes for ${Math.round(bake / 1000)} s: one alarm reading every ${every / 1000} s is ${readings} readings, more than ${MAX_ALARM_READINGS}; read at least every ${Math.ceil(bake / MAX_ALARM_READINGS / 1000)} seconds`,
    });
  }
}

/** One problem of a document as people read it: `field.path: message`. */
export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.map((p, k) => (typeof p === 'number' ? `[${p}]` : `${k ? '.' : ''}${String(p)}`)).join('') : '(root)'}: ${i.message}`);
}
