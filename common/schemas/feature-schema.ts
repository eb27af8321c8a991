import { z } from 'zod';

/**
 * What the gateway does with a numeric value outside the feature's training range (the training
 * split's min..max, `stats` in the schema). With the training range lo..hi and its width
 * w = hi - lo (or max(|hi|, 1) when every training value was the same):
 * - within lo - tolerance*w .. hi + tolerance*w the value is in range;
 * - beyond lo - rejectBeyond*w .. hi + rejectBeyond*w it is absurd and always rejected (400);
 * - in between, `policy` decides: `flag` answers and marks the record, `reject` answers 400.
 */
export const outOfRangePolicySchema = z
  .object({
    policy: z.enum(['reject', 'flag']),
    tolerance: z.number().min(0),
    rejectBeyond: z.number().min(0),
  })
  .refine((p) => p.rejectBeyond >= p.tolerance, { message: 'rejectBeyond must be at least tolerance' });

export type OutOfRangePolicy = z.infer<typeof outOfRangePolicySchema>;

/**
 * The defaults when a schema names no policy: flag what lies more than 10 % of the training
 * range's width beyond it (the model extrapolates there), reject what lies more than 10 widths
 * beyond it (no plausible record: a typo, a unit error or an attack such as `Mileage: 1e20`).
 */
export const DEFAULT_OUT_OF_RANGE: OutOfRangePolicy = { policy: 'flag', tolerance: 0.1, rejectBeyond: 10 };

/**
 * The feature schema written by the pre-processing job (`feature-schema.json`): the one source of
 * truth for which raw fields a record has, their types and rules, the training range of each
 * feature, and the order of the model's features. Validated here at the edge, since it arrives
 * from storage. Schemas written before `outOfRange` existed get the defaults; those without
 * `stats` have no training range to check.
 */
export const featureSchemaSchema = z.object({
  schemaVersion: z.literal(1),
  label: z.object({ name: z.string(), type: z.string() }).loose(),
  idColumns: z.array(z.string()).default([]),
  features: z
    .array(
      z
        .object({
          name: z.string().min(1),
          type: z.enum(['integer', 'float', 'binary']),
          min: z.number().optional(),
          max: z.number().optional(),
          allowed: z.array(z.number()).optional(),
          /** The training split's statistics: min..max is the training range. */
          stats: z.object({ min: z.number(), max: z.number() }).loose().optional(),
          /** This feature's own out-of-range policy (overrides the schema's). */
          outOfRange: outOfRangePolicySchema.optional(),
          /** A one-hot level of a categorical column (`species=Gentoo`), or its `__other__` level. */
          category: z.object({ column: z.string(), level: z.string().optional(), other: z.boolean().optional() }).loose().optional(),
          /** A missing value: refused, imputed with the train split's statistic, or passed on as missing. */
          missing: z.enum(['reject', 'impute', 'pass']).optional(),
          impute: z.object({ value: z.number() }).loose().optional(),
        })
        .loose(),
    )
    .min(1),
  /**
   * The columns a record carries when they differ from the model features (a categorical column
   * is one-hot encoded; schemas of all-numeric data have none: each column is a feature).
   */
  rawFeatures: z.array(z.string()).optional(),
  categoricals: z
    .array(
      z
        .object({
          name: z.string(),
          levels: z.array(z.string()).min(1),
          unseen: z.enum(['reject', 'other']).default('reject'),
          missing: z.enum(['reject', 'impute', 'pass']).default('reject'),
          impute: z.object({ value: z.string() }).loose().optional(),
        })
        .loose(),
    )
    .default([]),
  /** Texts read as a missing value (besides an absent field). */
  missingValues: z.array(z.string()).default(['']),
  oneHotGroups: z.array(z.object({ name: z.string(), columns: z.array(z.string()).min(1) })).default([]),
  outOfRange: outOfRangePolicySchema.default(DEFAULT_OUT_OF_RANGE),
});

export type FeatureSchema = z.infer<typeof featureSchemaSchema>;
