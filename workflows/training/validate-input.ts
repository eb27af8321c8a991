import { invalidInput } from '../../common/errors';
import { isBuiltinAlgorithm } from '../../common/types/algorithm';
import { isModelFamily } from '../../common/types/model';
import type { TrainingInput } from '../../common/types/training';
import { parseS3Uri } from '../../common/uri';

/** Invariants checked in the first lines of the run: a bad input fails fast and is never retried. */
export function validateTrainingInput(input: TrainingInput): void {
  try {
    parseS3Uri(input.dataUri);
  } catch (err) {
    throw invalidInput(`dataUri: ${(err as Error).message}`);
  }
  const { config } = input;
  if (config.models.length === 0) throw invalidInput('config.models: at least one model family must be trained');
  const seen = new Set<string>();
  for (const model of config.models) {
    if (!isModelFamily(model.family)) throw invalidInput(`config.models: '${model.family}' is not a model family name (lower-case letters, digits, inner hyphens)`);
    // A family without an algorithm names a built-in one (the demo's, and runs before projects).
    if (!model.algorithm && !isBuiltinAlgorithm(model.family)) throw invalidInput(`config.models: unknown model family '${model.family}' (no algorithm given, and no built-in algorithm of that name)`);
    if (seen.has(model.family)) throw invalidInput(`config.models: model family '${model.family}' is listed twice`);
    seen.add(model.family);
    if (model.resources.instanceCount < 1) throw invalidInput(`config.models.${model.family}.resources.instanceCount: must be at least 1`);
  }
  const { validationFraction, testFraction } = config.split;
  if (!(validationFraction > 0 && testFraction > 0 && validationFraction + testFraction < 1)) {
    throw invalidInput('config.split: validationFraction and testFraction must be > 0 and sum to less than 1');
  }
}
