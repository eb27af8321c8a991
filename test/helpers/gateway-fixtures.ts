import { featureSchemaSchema, type FeatureSchema } from '../../common/schemas/feature-schema';

/** The used-cars features in the order the models expect them (the spec's order). */
export const USED_CARS_FEATURES = [
  'Mileage',
  'Cylinder',
  'Doors',
  'Cruise',
  'Sound',
  'Leather',
  'Buick',
  'Cadillac',
  'Chevy',
  'Pontiac',
  'Saab',
  'Saturn',
  'convertible',
  'coupe',
  'hatchback',
  'sedan',
  'wagon',
] as const;

const MAKES = ['Buick', 'Cadillac', 'Chevy', 'Pontiac', 'Saab', 'Saturn'];
const BODIES = ['convertible', 'coupe', 'hatchback', 'sedan', 'wagon'];

/**
 * `feature-schema.json` as the pre-processing job writes it for the used-cars spec
 * (algorithms/mlops_algorithms/preprocess/schema.py): the spec's rules plus training-split stats,
 * the out-of-range policy, ignored columns, split and source, which the gateway does not use but must tolerate.
 */
export function usedCarsFeatureSchemaDocument(): Record<string, unknown> {
  const binary = (name: string) => ({ name, type: 'binary', stats: { min: 0, max: 1, mean: 0.5 } });
  return {
    schemaVersion: 1,
    label: { name: 'Price', type: 'float', min: 0, stats: { min: 8638.93, max: 70755.47, mean: 21343.14 } },
    idColumns: ['rownames'],
    features: [
      { name: 'Mileage', type: 'integer', min: 0, stats: { min: 266, max: 50387, mean: 19831.93 } },
      { name: 'Cylinder', type: 'integer', allowed: [4, 6, 8], stats: { min: 4, max: 8, mean: 5.27 } },
      { name: 'Doors', type: 'integer', allowed: [2, 4], stats: { min: 2, max: 4, mean: 3.53 } },
      binary('Cruise'),
      binary('Sound'),
      binary('Leather'),
      ...MAKES.map(binary),
      ...BODIES.map(binary),
    ],
    oneHotGroups: [
      { name: 'make', columns: MAKES },
      { name: 'body', columns: BODIES },
    ],
    outOfRange: { policy: 'flag', tolerance: 0.1, rejectBeyond: 10 },
    ignoredColumns: [],
    split: { seed: 42, fractions: { train: 0.7, validation: 0.15, test: 0.15 }, rows: { train: 562, validation: 120, test: 122 } },
    source: { file: 'used_cars.csv', sha256: '0'.repeat(64), rows: 804 },
  };
}

/** The same document as the gateway sees it after validation at the edge. */
export function usedCarsFeatureSchema(): FeatureSchema {
  return featureSchemaSchema.parse(usedCarsFeatureSchemaDocument());
}

export type UsedCarRecord = Record<(typeof USED_CARS_FEATURES)[number], number>;

/** A valid record: a 6-cylinder 4-door Buick sedan with cruise, sound and leather. */
export function usedCar(overrides: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  const record: UsedCarRecord = {
    Mileage: 8221,
    Cylinder: 6,
    Doors: 4,
    Cruise: 1,
    Sound: 1,
    Leather: 1,
    Buick: 1,
    Cadillac: 0,
    Chevy: 0,
    Pontiac: 0,
    Saab: 0,
    Saturn: 0,
    convertible: 0,
    coupe: 0,
    hatchback: 0,
    sedan: 1,
    wagon: 0,
  };
  return { ...record, ...overrides };
}

/** The CSV row the models receive for `usedCar()` (features in schema order). */
export const USED_CAR_ROW = '8221,6,4,1,1,1,1,0,0,0,0,0,0,0,0,1,0';

/** A record's features in schema order, as a CSV row. */
export function csvRow(record: Record<string, unknown>): string {
  return USED_CARS_FEATURES.map((f) => String(record[f])).join(',');
}
