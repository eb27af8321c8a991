import assert from 'node:assert/strict';
import { DEFAULT_OUT_OF_RANGE, featureSchemaSchema, type FeatureSchema } from '../../../../common/schemas/feature-schema';
import { checkTrainingRange, PayloadError, toFeatureVector } from '../../../../client/gateway/feature-vector';
import { USED_CARS_FEATURES, usedCar, usedCarsFeatureSchema, usedCarsFeatureSchemaDocument } from '../../../helpers/gateway-fixtures';

/** A small schema with a float feature and a max rule, which the used-cars schema lacks. */
function engineSchema(): FeatureSchema {
  return featureSchemaSchema.parse({
    schemaVersion: 1,
    label: { name: 'Price', type: 'float' },
    features: [
      { name: 'Litres', type: 'float', min: 0.5, max: 8 },
      { name: 'Turbo', type: 'binary' },
    ],
  });
}

describe('client/gateway/feature-schema', () => {
  describe('featureSchemaSchema', () => {
    it('when the document is the pre-processing job’s, then it parses with its rules, ids and one-hot groups', () => {
      const schema = featureSchemaSchema.parse(usedCarsFeatureSchemaDocument());

      assert.deepEqual(schema.features.map((f) => f.name), [...USED_CARS_FEATURES]);
      assert.deepEqual(schema.features[1], { name: 'Cylinder', type: 'integer', allowed: [4, 6, 8], stats: { min: 4, max: 8, mean: 5.27 } });
      assert.deepEqual(schema.idColumns, ['rownames']);
      assert.deepEqual(schema.oneHotGroups.map((g) => g.name), ['make', 'body']);
      assert.equal(schema.label.name, 'Price');
    });

    it('when idColumns, oneHotGroups and outOfRange are absent, then the lists are empty and the out-of-range policy is the default', () => {
      const schema = engineSchema();

      assert.deepEqual(schema.idColumns, []);
      assert.deepEqual(schema.oneHotGroups, []);
      assert.deepEqual(schema.outOfRange, { policy: 'flag', tolerance: 0.1, rejectBeyond: 10 });
    });

    it('when an out-of-range policy is malformed, then the schema is rejected', () => {
      const base = usedCarsFeatureSchemaDocument();

      for (const outOfRange of [{ policy: 'ignore', tolerance: 0, rejectBeyond: 1 }, { policy: 'flag', tolerance: -1, rejectBeyond: 1 }, { policy: 'flag', tolerance: 2, rejectBeyond: 1 }, { policy: 'flag' }]) {
        assert.equal(featureSchemaSchema.safeParse({ ...base, outOfRange }).success, false, JSON.stringify(outOfRange));
      }
    });

    it('when the schema version is not 1, a feature type is unknown or there are no features, then it is rejected', () => {
      const base = usedCarsFeatureSchemaDocument();

      assert.equal(featureSchemaSchema.safeParse({ ...base, schemaVersion: 2 }).success, false);
      assert.equal(featureSchemaSchema.safeParse({ ...base, features: [{ name: 'Colour', type: 'string' }] }).success, false);
      assert.equal(featureSchemaSchema.safeParse({ ...base, features: [] }).success, false);
      assert.equal(featureSchemaSchema.safeParse({ ...base, features: [{ name: '', type: 'float' }] }).success, false);
    });
  });

  describe('toFeatureVector', () => {
    const schema = usedCarsFeatureSchema();

    it('when the record is valid, then the vector has the features in schema order, whatever the key order', () => {
      const reversed = Object.fromEntries(Object.entries(usedCar()).reverse());

      const vector = toFeatureVector(reversed, schema, 0);

      assert.deepEqual(vector, [8221, 6, 4, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    });

    it('when numbers come as strings, with whitespace, an exponent or a sign, then they are converted', () => {
      const vector = toFeatureVector(usedCar({ Mileage: ' 8221 ', Cylinder: '6', Doors: '+4', Cruise: '1', Sound: '\t0 ', Leather: '1e0' }), schema, 0);

      assert.deepEqual(vector.slice(0, 6), [8221, 6, 4, 1, 0, 1]);
    });

    it('when an integer field is written as a whole float, then it is accepted as that integer', () => {
      const vector = toFeatureVector(usedCar({ Mileage: '8221.0', Cylinder: 6.0, Doors: '4.' }), schema, 0);

      assert.deepEqual(vector.slice(0, 3), [8221, 6, 4]);
    });

    it('when an integer field has a fraction, then it names the record, field and rule', () => {
      assert.throws(() => toFeatureVector(usedCar({ Mileage: '8221.5' }), schema, 3), { name: 'PayloadError', message: "record 3, field 'Mileage': 8221.5 is not an integer" });
    });

    it('when a float feature has a fraction, then it is kept', () => {
      assert.deepEqual(toFeatureVector({ Litres: '2.5', Turbo: 0 }, engineSchema(), 0), [2.5, 0]);
    });

    it('when a value is above the maximum, then the rule is named', () => {
      assert.throws(() => toFeatureVector({ Litres: 8.5, Turbo: 0 }, engineSchema(), 0), { message: "record 0, field 'Litres': 8.5 is above the maximum 8" });
    });

    it('when the label and the id columns are present, then they are allowed and ignored', () => {
      const vector = toFeatureVector(usedCar({ Price: 'not even a number', rownames: 'car-17' }), schema, 0);

      assert.equal(vector.length, USED_CARS_FEATURES.length);
      assert.deepEqual(vector, toFeatureVector(usedCar(), schema, 0));
    });

    it('when a field is missing, null or empty, then it is required', () => {
      const without = usedCar();
      delete without.Doors;

      for (const record of [without, usedCar({ Doors: null }), usedCar({ Doors: '' })]) {
        assert.throws(() => toFeatureVector(record, schema, 1), { message: "record 1, field 'Doors': is required" });
      }
    });

    it('when a value is not a decimal number, then it is not a number', () => {
      for (const raw of ['   ', 'six', 'Infinity', 'NaN', '1,5', true, [6], { v: 6 }]) {
        assert.throws(() => toFeatureVector(usedCar({ Cylinder: raw }), schema, 0), (err: Error) => err instanceof PayloadError && /field 'Cylinder': .* is not a number$/.test(err.message), JSON.stringify(raw));
      }
    });

    it('when a string is a hexadecimal, binary or octal literal, then it is not a number (as in pre-processing)', () => {
      for (const raw of ['0x1F40', '0b1', '0o7']) {
        assert.throws(() => toFeatureVector(usedCar({ Mileage: raw }), schema, 0), { message: `record 0, field 'Mileage': '${raw}' is not a number` });
      }
      assert.throws(() => toFeatureVector(usedCar({ Cruise: '0x1' }), schema, 0), { message: "record 0, field 'Cruise': '0x1' is not a number" });
    });

    it('when a binary field is not 0 or 1, then the rule is named', () => {
      assert.throws(() => toFeatureVector(usedCar({ Leather: -1 }), schema, 0), { message: "record 0, field 'Leather': -1 must be 0 or 1" });
      assert.throws(() => toFeatureVector(usedCar({ Leather: 0.5 }), schema, 0), { message: "record 0, field 'Leather': 0.5 is not an integer" });
    });

    it('when a one-hot group has no 1 or two 1s, then the group is named with the count', () => {
      assert.throws(() => toFeatureVector(usedCar({ sedan: 0 }), schema, 0), { message: "record 0, fields convertible/coupe/hatchback/sedan/wagon: exactly one must be 1 (one-hot group 'body'), found 0" });
      assert.throws(() => toFeatureVector(usedCar({ Saab: 1 }), schema, 0), { message: "record 0, fields Buick/Cadillac/Chevy/Pontiac/Saab/Saturn: exactly one must be 1 (one-hot group 'make'), found 2" });
    });

    it('when a field is unknown, then it is named before any rule is checked', () => {
      assert.throws(() => toFeatureVector({ Mileage: -1, Engine: 'V6' }, schema, 0), { message: /^record 0: unknown field 'Engine' \(expected: Mileage, Cylinder, Doors, / });
    });
  });

  describe('checkTrainingRange', () => {
    /** Litres trained on 1..3 (width 2), Seats always 5 (width max(|5|, 1) = 5), Turbo binary. */
    function rangedSchema(extra: Record<string, unknown> = {}, litres: Record<string, unknown> = {}): FeatureSchema {
      return featureSchemaSchema.parse({
        schemaVersion: 1,
        label: { name: 'Price', type: 'float' },
        features: [
          { name: 'Litres', type: 'float', stats: { min: 1, max: 3, mean: 2 }, ...litres },
          { name: 'Seats', type: 'integer', stats: { min: 5, max: 5, mean: 5 } },
          { name: 'Turbo', type: 'binary', stats: { min: 0, max: 1, mean: 0.5 } },
        ],
        ...extra,
      });
    }

    it('when values are inside the training range or within the tolerance (10 % of the width), then nothing is flagged', () => {
      assert.deepEqual(checkTrainingRange([1, 5, 0], rangedSchema(), 0), []);
      assert.deepEqual(checkTrainingRange([3.1, 5.4, 1], rangedSchema(), 0), []);
      assert.deepEqual(checkTrainingRange([0.9, 4.6, 1], rangedSchema(), 0), []);
    });

    it('when values are beyond the tolerance but within 10 widths, then they are flagged with the training range, on either side', () => {
      assert.deepEqual(checkTrainingRange([3.5, 2, 1], rangedSchema(), 0), [
        { field: 'Litres', value: 3.5, trainingRange: [1, 3] },
        { field: 'Seats', value: 2, trainingRange: [5, 5] },
      ]);
      assert.deepEqual(checkTrainingRange([-18, 5, 0], rangedSchema(), 0), [{ field: 'Litres', value: -18, trainingRange: [1, 3] }]);
    });

    it('when a value is beyond 10 widths, then a PayloadError names the record, the field, the value and the range', () => {
      assert.throws(() => checkTrainingRange([23.5, 5, 0], rangedSchema(), 4), {
        name: 'PayloadError',
        message: "record 4, field 'Litres': 23.5 is outside the training range 1..3 by more than 10 times its width (out-of-range policy: flag up to 10 widths, reject beyond)",
      });
      assert.throws(() => checkTrainingRange([2, 1e20, 0], rangedSchema(), 0), PayloadError);
    });

    it('when the policy is reject, then a value beyond the tolerance is rejected', () => {
      assert.throws(() => checkTrainingRange([3.5, 5, 0], rangedSchema({ outOfRange: { policy: 'reject', tolerance: 0.1, rejectBeyond: 10 } }), 0), {
        message: "record 0, field 'Litres': 3.5 is outside the training range 1..3 by more than 0.1 times its width (out-of-range policy: reject)",
      });
    });

    it('when a feature has its own policy, then it overrides the schema’s', () => {
      const schema = rangedSchema({}, { outOfRange: { policy: 'flag', tolerance: 100, rejectBeyond: 1000 } });

      assert.deepEqual(checkTrainingRange([150, 5, 0], schema, 0), []);
      assert.throws(() => checkTrainingRange([3, 500, 0], schema, 0), /field 'Seats'/);
    });

    it('when a feature is binary, has allowed values or has no training range, then it is not checked', () => {
      const schema = featureSchemaSchema.parse({
        schemaVersion: 1,
        label: { name: 'Price', type: 'float' },
        features: [
          { name: 'Doors', type: 'integer', allowed: [2, 4, 400], stats: { min: 2, max: 4 } },
          { name: 'Litres', type: 'float' },
        ],
      });

      assert.deepEqual(checkTrainingRange([400, 1e30], schema, 0), []);
      assert.deepEqual(schema.outOfRange, DEFAULT_OUT_OF_RANGE);
    });
  });
});

/** A project's encoded schema as pre-processing writes it (penguins-like): categoricals one-hot, missing values imputed or passed on. */
function encodedSchema(over: { unseen?: 'reject' | 'other'; sexMissing?: 'reject' | 'impute' | 'pass' } = {}): FeatureSchema {
  const other = over.unseen === 'other';
  return featureSchemaSchema.parse({
    schemaVersion: 1,
    label: { name: 'body_mass_g', type: 'integer' },
    idColumns: ['tag'],
    rawFeatures: ['species', 'bill_length_mm', 'sex'],
    categoricals: [
      { name: 'species', levels: ['Adelie', 'Gentoo'], unseen: over.unseen ?? 'reject', missing: 'reject' },
      { name: 'sex', levels: ['female', 'male'], unseen: 'reject', missing: over.sexMissing ?? 'impute', ...(over.sexMissing === undefined || over.sexMissing === 'impute' ? { impute: { strategy: 'mode', value: 'female' } } : {}) },
    ],
    missingValues: ['', 'NA'],
    features: [
      { name: 'species=Adelie', type: 'binary', category: { column: 'species', level: 'Adelie' } },
      { name: 'species=Gentoo', type: 'binary', category: { column: 'species', level: 'Gentoo' } },
      ...(other ? [{ name: 'species=__other__', type: 'binary', category: { column: 'species', other: true } }] : []),
      { name: 'bill_length_mm', type: 'float', min: 0, missing: 'impute', impute: { strategy: 'median', value: 44.25 }, stats: { min: 32, max: 60 } },
      { name: 'sex=female', type: 'binary', category: { column: 'sex', level: 'female' } },
      { name: 'sex=male', type: 'binary', category: { column: 'sex', level: 'male' } },
    ],
  });
}

describe('client/gateway/feature-vector (a project with categoricals and missing values)', () => {
  it('when a record carries the raw columns, then categories become their one-hot levels and missing values the training statistics, in the schema order', () => {
    assert.deepEqual(toFeatureVector({ species: 'Gentoo', bill_length_mm: 50.5, sex: 'male', tag: 'p1' }, encodedSchema(), 0), [0, 1, 50.5, 0, 1]);
    assert.deepEqual(toFeatureVector({ species: 'Adelie', bill_length_mm: 'NA', sex: '' }, encodedSchema(), 0), [1, 0, 44.25, 1, 0]);
  });

  it('when a category was never seen under the reject policy, then the 400 names the record, the field, the value and the levels', () => {
    assert.throws(() => toFeatureVector({ species: 'Emperor', bill_length_mm: 50, sex: 'male' }, encodedSchema(), 3), (err: unknown) => {
      assert.ok(err instanceof PayloadError);
      assert.equal(err.message, "record 3, field 'species': value 'Emperor' is not one of the levels {Adelie, Gentoo} (unseen categories are rejected)");
      return true;
    });
  });

  it('when unseen categories map to __other__, then the record is answered with only its other level set', () => {
    assert.deepEqual(toFeatureVector({ species: 'Emperor', bill_length_mm: 50, sex: 'male' }, encodedSchema({ unseen: 'other' }), 0), [0, 0, 1, 50, 0, 1]);
  });

  it('when a categorical value is missing, then reject asks for it, pass keeps it missing', () => {
    assert.throws(() => toFeatureVector({ species: 'Gentoo', bill_length_mm: 50, sex: 'NA' }, encodedSchema({ sexMissing: 'reject' }), 1), /record 1, field 'sex': is required/);
    const passed = toFeatureVector({ species: 'Gentoo', bill_length_mm: 50 }, encodedSchema({ sexMissing: 'pass' }), 0);
    assert.deepEqual(passed.slice(0, 3), [0, 1, 50]);
    assert.ok(Number.isNaN(passed[3]!) && Number.isNaN(passed[4]!));
  });

  it('when a record names a model feature instead of a raw column, then it is an unknown field naming the raw columns', () => {
    assert.throws(() => toFeatureVector({ 'species=Gentoo': 1, bill_length_mm: 50, sex: 'male' }, encodedSchema(), 0), /record 0: unknown field 'species=Gentoo' \(expected: species, bill_length_mm, sex\)/);
  });
});
