import { z } from 'zod';
import { instanceTypeProblem, type InstanceKind } from '../config/instance-types';

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

/** One problem of a document as people read it: `field.path: message`. */
export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.map((p, k) => (typeof p === 'number' ? `[${p}]` : `${k ? '.' : ''}${String(p)}`)).join('') : '(root)'}: ${i.message}`);
}
