import { z } from 'zod';

/**
 * The feature schema written by the pre-processing job (`feature-schema.json`): the one source of
 * truth for which raw fields a record has, their types and rules, and the order of the model's
 * features. Validated here at the edge, since it arrives from storage.
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
        })
        .loose(),
    )
    .min(1),
  oneHotGroups: z.array(z.object({ name: z.string(), columns: z.array(z.string()).min(1) })).default([]),
});

export type FeatureSchema = z.infer<typeof featureSchemaSchema>;
