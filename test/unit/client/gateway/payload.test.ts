import assert from 'node:assert/strict';
import { PayloadError } from '../../../../client/gateway/feature-vector';
import { parsePredictionPayload, UnsupportedMediaError } from '../../../../client/gateway/payload';
import { csvRow, USED_CAR_ROW, USED_CARS_FEATURES, usedCar, usedCarsFeatureSchema } from '../../../helpers/gateway-fixtures';

const USED_CAR_VECTOR = USED_CAR_ROW.split(',').map(Number);
const HEADER = ['rownames', ...USED_CARS_FEATURES].join(',');

describe('client/gateway/payload', () => {
  const schema = usedCarsFeatureSchema();

  describe('JSON', () => {
    it('when the body is one record, then one parsed record with its features and no ids', () => {
      const records = parsePredictionPayload('application/json', usedCar(), schema, 10);

      assert.deepEqual(records, [{ features: USED_CAR_VECTOR, ids: {}, outOfRange: [] }]);
    });

    it('when the body is a list or {"records": [...]}, then every record in order', () => {
      const list = [usedCar({ Mileage: 1 }), usedCar({ Mileage: 2 })];

      const fromList = parsePredictionPayload('application/json', list, schema, 10);
      const fromRecords = parsePredictionPayload('application/json', { records: list }, schema, 10);

      assert.deepEqual(fromList.map((r) => r.features[0]), [1, 2]);
      assert.deepEqual(fromRecords, fromList);
    });

    it('when records carry id columns, then they are echoed as given, and only where present', () => {
      const records = parsePredictionPayload('application/json', [usedCar({ rownames: 17 }), usedCar(), usedCar({ rownames: 'car-3', Price: 9000 })], schema, 10);

      assert.deepEqual(records.map((r) => r.ids), [{ rownames: 17 }, {}, { rownames: 'car-3' }]);
    });

    it('when the content type has parameters and capitals, then it is still JSON', () => {
      assert.equal(parsePredictionPayload('Application/JSON; charset=utf-8', usedCar(), schema, 10).length, 1);
    });

    it('when an item is not an object, then it names the record', () => {
      for (const body of [[usedCar(), 'car'], [usedCar(), null], [usedCar(), [1, 2]]]) {
        assert.throws(() => parsePredictionPayload('application/json', body, schema, 10), { name: 'PayloadError', message: 'record 1: must be a JSON object keyed by feature names' });
      }
      assert.throws(() => parsePredictionPayload('application/json', 42, schema, 10), { message: 'record 0: must be a JSON object keyed by feature names' });
    });

    it('when "records" is not a list, then the body is one record and "records" an unknown field', () => {
      assert.throws(() => parsePredictionPayload('application/json', { records: usedCar() }, schema, 10), { message: /^record 0: unknown field 'records'/ });
    });

    it('when there are no records, then it says so', () => {
      for (const body of [[], { records: [] }]) {
        assert.throws(() => parsePredictionPayload('application/json', body, schema, 10), { name: 'PayloadError', message: 'the request has no records' });
      }
    });

    it('when there are exactly maxRecords records, then they pass; one more, then it is refused before any is checked', () => {
      assert.equal(parsePredictionPayload('application/json', [usedCar(), usedCar()], schema, 2).length, 2);
      assert.throws(() => parsePredictionPayload('application/json', [usedCar(), usedCar(), { bad: true }], schema, 2), { message: 'the request has 3 records; at most 2 per request' });
    });
  });

  describe('CSV', () => {
    it('when the CSV has a header with the id and label columns in any order, then features come in schema order and ids are echoed', () => {
      const columns = ['Price', ...[...USED_CARS_FEATURES].reverse(), 'rownames'];
      const row = ['22000.5', ...[...USED_CARS_FEATURES].reverse().map((f) => String(usedCar()[f])), '17'];

      const records = parsePredictionPayload('text/csv', `${columns.join(',')}\n${row.join(',')}\n`, schema, 10);

      assert.deepEqual(records, [{ features: USED_CAR_VECTOR, ids: { rownames: '17' }, outOfRange: [] }]);
    });

    it('when the CSV has no header, then the columns are the features in schema order', () => {
      const second = usedCar({ Mileage: 77, Chevy: 1, Buick: 0 });

      const records = parsePredictionPayload('text/csv', `${USED_CAR_ROW}\n${csvRow(second)}`, schema, 10);

      assert.deepEqual(records.map((r) => r.features), [USED_CAR_VECTOR, csvRow(second).split(',').map(Number)]);
      assert.deepEqual(records[0]!.ids, {});
    });

    it('when cells have spaces or quotes, lines end in CRLF and blank lines are in between, then it parses', () => {
      const spaced = USED_CAR_ROW.split(',').map((v, i) => (i === 0 ? `"${v}"` : ` ${v} `)).join(',');

      const records = parsePredictionPayload('text/csv', `${HEADER}\r\n\r\n1, ${spaced}\r\n\r\n`, schema, 10);

      assert.deepEqual(records, [{ features: USED_CAR_VECTOR, ids: { rownames: '1' }, outOfRange: [] }]);
    });

    it('when the body arrives as a Buffer, then it is read as UTF-8 text', () => {
      const records = parsePredictionPayload('text/csv; charset=utf-8', Buffer.from(`${USED_CAR_ROW}\n`), schema, 10);

      assert.deepEqual(records.map((r) => r.features), [USED_CAR_VECTOR]);
    });

    it('when the CSV starts with a UTF-8 byte-order mark (as Excel writes it), then the header is still recognised', () => {
      const records = parsePredictionPayload('text/csv', `\uFEFF${HEADER}\n1,${USED_CAR_ROW}\n`, schema, 10);

      assert.deepEqual(records, [{ features: USED_CAR_VECTOR, ids: { rownames: '1' }, outOfRange: [] }]);
    });

    it('when a header-less row has the wrong number of fields, then the record and the expected columns are named', () => {
      assert.throws(() => parsePredictionPayload('text/csv', `${USED_CAR_ROW}\n${USED_CAR_ROW},1\n`, schema, 10), {
        message: `record 1: has 18 fields, expected 17 (the features in order: ${USED_CARS_FEATURES.join(', ')})`,
      });
    });

    it('when a row has a different field count than the header, then it says so', () => {
      assert.throws(() => parsePredictionPayload('text/csv', `${HEADER}\n${USED_CAR_ROW}\n`, schema, 10), { message: 'record 0: has 17 fields, expected 18 (as in the header)' });
    });

    it('when a header names a column twice, then it is refused', () => {
      assert.throws(() => parsePredictionPayload('text/csv', `${HEADER},rownames\n1,${USED_CAR_ROW},1\n`, schema, 10), { message: "CSV header: column 'rownames' appears twice" });
    });

    it('when a header has an unknown column among known ones, then that field is named', () => {
      assert.throws(() => parsePredictionPayload('text/csv', `${HEADER},Colour\n1,${USED_CAR_ROW},red\n`, schema, 10), { message: /^record 0: unknown field 'Colour'/ });
    });

    it('when a CSV value breaks a rule, then the record number counts data rows, not the header', () => {
      const rows = [`1,${USED_CAR_ROW}`, `2,${USED_CAR_ROW.replace(/^8221,6/, '8221,5')}`];

      assert.throws(() => parsePredictionPayload('text/csv', `${HEADER}\n${rows.join('\n')}\n`, schema, 10), { message: "record 1, field 'Cylinder': 5 is not one of 4, 6, 8" });
    });

    it('when the CSV is empty, blank or only a header, then there are no records', () => {
      for (const body of ['', '\n\n', `${HEADER}\n`]) {
        assert.throws(() => parsePredictionPayload('text/csv', body, schema, 10), { message: 'the request has no records' }, JSON.stringify(body));
      }
    });

    it('when the CSV cannot be parsed, then it says so', () => {
      assert.throws(() => parsePredictionPayload('text/csv', `"8221,6,4\n`, schema, 10), (err: Error) => err instanceof PayloadError && err.message.startsWith('the CSV body cannot be parsed: '));
    });
  });

  it('when the content type is neither JSON nor CSV, then UnsupportedMediaError names it', () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', '']) {
      assert.throws(() => parsePredictionPayload(type, USED_CAR_ROW, schema, 10), (err: Error) => err instanceof UnsupportedMediaError && err.message.startsWith(`content type '${type}' is not supported`));
    }
  });
});
