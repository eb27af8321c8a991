import { EdgeError } from '../edge-errors';
import type { FeatureSchema } from '../../common/schemas/feature-schema';

/** A number as text, as pre-processing accepts it (validation.py `_NUMBER`): no hex, binary or octal literals. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

type Categorical = FeatureSchema['categoricals'][number] & { positions: Map<string, number>; other?: number };

/** Per schema, built once: the column names a record may carry, each feature's position, the categorical columns. */
interface Lookups {
  known: Set<string>;
  position: Map<string, number>;
  /** The raw columns a record carries, in order (the features themselves when nothing is encoded). */
  raw: string[];
  categoricals: Map<string, Categorical>;
  missing: Set<string>;
}

const LOOKUPS = new WeakMap<FeatureSchema, Lookups>();

function lookups(schema: FeatureSchema): Lookups {
  let found = LOOKUPS.get(schema);
  if (!found) {
    const raw = schema.rawFeatures ?? schema.features.map((f) => f.name);
    const categoricals = new Map<string, Categorical>();
    for (const c of schema.categoricals) {
      const positions = new Map<string, number>();
      let other: number | undefined;
      schema.features.forEach((f, j) => {
        if (f.category?.column !== c.name) return;
        if (f.category.other) other = j;
        else if (f.category.level !== undefined) positions.set(f.category.level, j);
      });
      categoricals.set(c.name, { ...c, positions, ...(other !== undefined ? { other } : {}) });
    }
    found = { known: new Set([...raw, ...schema.idColumns, schema.label.name]), position: new Map(schema.features.map((f, i) => [f.name, i])), raw, categoricals, missing: new Set(schema.missingValues) };
    LOOKUPS.set(schema, found);
  }
  return found;
}

/** The raw columns a record of this schema carries, in order (a header-less CSV row follows them). */
export function rawColumns(schema: FeatureSchema): string[] {
  return lookups(schema).raw;
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
  const { known, position, raw: rawNames, categoricals, missing } = lookups(schema);
  for (const key of Object.keys(record)) {
    if (!known.has(key)) throw new PayloadError(`record ${index}: unknown field '${key}' (expected: ${rawNames.join(', ')})`);
  }
  const isMissing = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && missing.has(v.trim())) || v === '';
  // A categorical column becomes its one-hot levels, as pre-processing encoded the training data.
  const encoded = new Map<number, number>();
  for (const c of categoricals.values()) {
    const value = record[c.name];
    let level: string | undefined;
    if (isMissing(value)) {
      if (c.missing === 'reject' || (c.missing === 'impute' && c.impute === undefined)) throw new PayloadError(`${where(c.name)}: is required`);
      if (c.missing === 'pass') {
        for (const j of [...c.positions.values(), ...(c.other !== undefined ? [c.other] : [])]) encoded.set(j, Number.NaN);
        continue;
      }
      level = c.impute!.value;
    } else {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new PayloadError(`${where(c.name)}: must be a text value (one of ${c.levels.join(', ')})`);
      level = String(value).trim();
    }
    const hit = c.positions.get(level);
    if (hit === undefined && c.unseen === 'reject') {
      throw new PayloadError(`${where(c.name)}: value '${level.slice(0, 60)}' is not one of the levels {${c.levels.slice(0, 20).join(', ')}${c.levels.length > 20 ? ', ...' : ''}} (unseen categories are rejected)`);
    }
    for (const j of c.positions.values()) encoded.set(j, j === hit ? 1 : 0);
    if (c.other !== undefined) encoded.set(c.other, hit === undefined ? 1 : 0);
  }
  const values = schema.features.map((feature, j) => {
    const fromCategory = encoded.get(j);
    if (fromCategory !== undefined) return fromCategory;
    const raw = record[feature.name];
    if (isMissing(raw) && feature.missing === 'impute' && feature.impute) return feature.impute.value;
    if (isMissing(raw) && feature.missing === 'pass') return Number.NaN;
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
    if (Number.isNaN(value)) return; // a missing value passed on as such
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
