import assert from 'node:assert/strict';
import { parseIdColumns } from '../../../../client/cli/commands/score';
import { UsageError } from '../../../../services/usage-error';

describe('client/cli/commands/score', () => {
  describe('parseIdColumns (--id-columns)', () => {
    it('when names are given, then they are kept in order, trimmed', () => {
      assert.deepEqual(parseIdColumns('car_id, note'), ['car_id', 'note']);
    });

    it("when the value is '', then no column passes through (a row number instead)", () => {
      assert.deepEqual(parseIdColumns(''), []);
    });

    it('when a name is empty or repeated, then it is a usage error naming the rule', () => {
      assert.throws(() => parseIdColumns('car_id,,note'), (err: unknown) => err instanceof UsageError && /a column name is empty/.test(err.message));
      assert.throws(() => parseIdColumns('car_id,car_id'), (err: unknown) => err instanceof UsageError && /'car_id' is named twice/.test(err.message));
    });
  });
});
