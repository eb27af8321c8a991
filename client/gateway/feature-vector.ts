import { EdgeError } from '../edge-errors';
import type { FeatureSchema } from '../../common/schemas/feature-schema';

/** A number as text, as pre-processing accepts it (validation.py `_NUMBER`): no hex, binary or octal literals. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Per schema, built once: the column names a record may carry and each feature's position. */
const LOOKUPS = new WeakMap<FeatureSchema, { known: Set<string>; position: Map<string, number> }>();

function lookups(schema: FeatureSchema): { known: Set<string>; position: Map<string, number> } {
  let found = LOOKUPS.get(schema);
  if (!found) {
    found = { known: new Set([...schema.features.map((f) => f.name), ...schema.idColumns, schema.label.name]), position: new Map(schema.features.map((f, i) => [f.name, i])) };
    LOOKUPS.set(schema, found);
  }
  return found;
}

/** A record broke a rule: the message names the record, the field and the rule. */
export class PayloadError extends EdgeError {
  constructor(message: string) {
    super('bad-request', 'InvalidPayload', message);
    this.name = 'PayloadError';
  }
}

/**
 * Turns one raw record (keyed by the dataset's column names; id columns and the label may be
 * present and are ignored) into the model's feature vector, applying the same rules as
 * pre-processing: numbers of the right type, ranges, allowed values, exactly one 1 per one-hot group.
 */
export function toFeatureVector(record: Record<string, unknown>, schema: FeatureSchema, index: number): number[] {
  const where = (field: string) => `record ${index}, field '${field}'`;
  const { known, position } = lookups(schema);
  for (const key of Object.keys(record)) {
    if (!known.has(key)) throw new PayloadError(`record ${index}: unknown field '${key}' (expected: ${schema.features.map((f) => f.name).join(', ')})`);
  }
  const values = schema.features.map((feature) => {
    const raw = record[feature.name];
    if (raw === undefined || raw === null || raw === '') throw new PayloadError(`${where(feature.name)}: is required`);
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && DECIMAL.test(raw.trim()) ? Number(raw) : Number.NaN;
    if (typeof raw === 'boolean' || !Number.isFinite(value)) throw new PayloadError(`${where(feature.name)}: '${String(raw)}' is not a number`);
    if ((feature.type === 'integer' || feature.type === 'binary') && !Number.isInteger(value)) throw new PayloadError(`${where(feature.name)}: ${value} is not an integer`);
    if (feature.type === 'binary' && value !== 0 && value !== 1) throw new PayloadError(`${where(feature.name)}: ${value} must be 0 or 1`);
    if (feature.min !== undefined && value < feature.min) throw new PayloadError(`${where(feature.name)}: ${value} is below the minimum ${feature.min}`);
    if (feature.max !== undefined && value > feature.max) throw new PayloadError(`${where(feature.name)}: ${value} is above the maximum ${feature.max}`);
    if (feature.allowed && !feature.allowed.includes(value)) throw new PayloadError(`${where(feature.name)}: ${value} is not one of ${feature.allowed.join(', ')}`);
    return value;
  });
  for (const group of schema.oneHotGroups) {
    const ones = group.columns.filter((c) => values[position.get(c) ?? -1] === 1).length;
    if (ones !== 1) throw new PayloadError(`record ${index}, fields ${group.columns.join('/')}: exactly one must be 1 (one-hot group '${group.name}'), found ${ones}`);
  }
  return values;
}

/** A value outside its feature's training range that the policy let through: the record is answered and flagged. */
export interface OutOfRangeFlag {
  field: string;
  value: number;
  /** The training split's min and max. */
  trainingRange: [number, number];
}

/**
 * Applies the schema's out-of-range policy to a feature vector (in the schema's order): throws a
 * PayloadError naming the field, the value and the training range when the value must be
 * rejected, and returns the values to flag. Features with exact rules (binary, `allowed`) and
 * features without a training range (schemas written before `stats`) are not checked.
 */
export function checkTrainingRange(values: readonly number[], schema: FeatureSchema, index: number): OutOfRangeFlag[] {
  const flags: OutOfRangeFlag[] = [];
  schema.features.forEach((feature, j) => {
    if (!feature.stats || feature.type === 'binary' || feature.allowed) return;
    const value = values[j]!;
    const { min: lo, max: hi } = feature.stats;
    if (value >= lo && value <= hi) return;
    const policy = feature.outOfRange ?? schema.outOfRange;
    const width = hi > lo ? hi - lo : Math.max(Math.abs(hi), 1);
    const beyond = value < lo ? (lo - value) / width : (value - hi) / width;
    if (beyond <= policy.tolerance) return;
    if (beyond > policy.rejectBeyond || policy.policy === 'reject') {
      const allowed = policy.policy === 'reject' ? policy.tolerance : policy.rejectBeyond;
      throw new PayloadError(
        `record ${index}, field '${feature.name}': ${value} is outside the training range ${lo}..${hi} by more than ${allowed} times its width (out-of-range policy: ${policy.policy === 'reject' ? 'reject' : `flag up to ${policy.rejectBeyond} widths, reject beyond`})`,
      );
    }
    flags.push({ field: feature.name, value, trainingRange: [lo, hi] });
  });
  return flags;
}
