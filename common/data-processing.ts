import type { DataProcessing } from './types/scoring';

/**
 * The batch transform's filters for a scoring file pre-processed into `features, pass-through
 * columns` (the file's own ids, free text, or a generated row number): the first `featureCount`
 * fields reach the model, and the output keeps every field after them plus the prediction. They
 * depend on the feature count alone, so one job scores files that carry different columns.
 * SageMaker's slice end is inclusive (`$[0:16]` = the first 17 fields).
 */
export function passThroughDataProcessing(featureCount: number): DataProcessing {
  if (!Number.isInteger(featureCount) || featureCount < 1) throw new Error(`feature count must be a positive integer, got ${featureCount}`);
  return { inputFilter: `$[0:${featureCount - 1}]`, joinSource: 'Input', outputFilter: `$[${featureCount}:]` };
}
