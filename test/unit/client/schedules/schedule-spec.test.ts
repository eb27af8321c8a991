import assert from 'node:assert/strict';
import { parseCron, parseEvery, parseTimezone, scheduleSpecOf } from '../../../../client/schedules/schedule-spec';
import { UsageError } from '../../../../services/usage-error';

const usage = (pattern: RegExp) => (err: unknown) => err instanceof UsageError && pattern.test(err.message);

describe('client/schedules/schedule-spec', () => {
  describe('parseEvery', () => {
    it('when given short and long units, then it returns milliseconds', () => {
      assert.equal(parseEvery('30m'), 30 * 60_000);
      assert.equal(parseEvery('1h'), 3_600_000);
      assert.equal(parseEvery('6 hours'), 6 * 3_600_000);
      assert.equal(parseEvery(' 1d '), 86_400_000);
    });

    it('when the text is not a duration, then it is a usage error', () => {
      for (const bad of ['', 'h', '1', '1y', '-1h', '1.5h', 'hourly', '1h30m']) assert.throws(() => parseEvery(bad), usage(/--every/), bad);
    });

    it('when the interval is under a minute or over 366 days, then it is a usage error', () => {
      assert.throws(() => parseEvery('30s'), usage(/between 1 minute and 366 days/));
      assert.throws(() => parseEvery('0m'), usage(/between/));
      assert.throws(() => parseEvery('400d'), usage(/between/));
    });
  });

  describe('parseCron', () => {
    it('when given five valid fields or a macro, then it returns the normalized expression', () => {
      assert.equal(parseCron('0 * * * *'), '0 * * * *');
      assert.equal(parseCron(' */15  2-6 1,15 JAN-MAR mon-fri '), '*/15 2-6 1,15 JAN-MAR mon-fri');
      assert.equal(parseCron('@hourly'), '@hourly');
      assert.equal(parseCron('@Daily'), '@daily');
    });

    it('when the field count is wrong, then it is a usage error naming the count', () => {
      assert.throws(() => parseCron('0 * * *'), usage(/4 field\(s\); expected 5/));
      assert.throws(() => parseCron('0 0 * * * * *'), usage(/7 field/));
    });

    it('when a value is out of range or unknown, then it is a usage error naming the field', () => {
      assert.throws(() => parseCron('60 * * * *'), usage(/minute field '60' is out of range/));
      assert.throws(() => parseCron('0 24 * * *'), usage(/hour field/));
      assert.throws(() => parseCron('0 0 0 * *'), usage(/day of month/));
      assert.throws(() => parseCron('0 0 * FOO *'), usage(/month field 'FOO' has an unknown value/));
      assert.throws(() => parseCron('*/0 * * * *'), usage(/zero step/));
      assert.throws(() => parseCron('0 0 * * ?x'), usage(/day of week/));
    });

    it('when given an unknown macro or a CRON_TZ prefix, then it is a usage error', () => {
      assert.throws(() => parseCron('@sometimes'), usage(/is not one of/));
      assert.throws(() => parseCron('@every 1h'), usage(/is not one of/));
      assert.throws(() => parseCron('CRON_TZ=UTC 0 * * * *'), usage(/--timezone/));
    });
  });

  describe('parseTimezone', () => {
    it('when given IANA names, then they are accepted', () => {
      assert.equal(parseTimezone('UTC'), 'UTC');
      assert.equal(parseTimezone('Europe/Berlin'), 'Europe/Berlin');
    });

    it('when the name is unknown or empty, then it is a usage error', () => {
      assert.throws(() => parseTimezone('Mars/Olympus'), usage(/--timezone: 'Mars\/Olympus'/));
      assert.throws(() => parseTimezone(''), usage(/--timezone/));
    });
  });

  describe('scheduleSpecOf', () => {
    it('when given --every, then the spec has one interval', () => {
      assert.deepEqual(scheduleSpecOf({ every: '1h' }), { intervals: [{ every: 3_600_000 }] });
    });

    it('when given --cron and --timezone, then the spec has the expression and the zone', () => {
      assert.deepEqual(scheduleSpecOf({ cron: '0 2 * * *', timezone: 'Europe/Berlin' }), { cronExpressions: ['0 2 * * *'], timezone: 'Europe/Berlin' });
    });

    it('when both or neither of --every and --cron are given, then it is a usage error', () => {
      assert.throws(() => scheduleSpecOf({}), usage(/exactly one of --every and --cron/));
      assert.throws(() => scheduleSpecOf({ every: '1h', cron: '@hourly' }), usage(/exactly one/));
    });

    it('when --timezone comes with --every, then it is a usage error', () => {
      assert.throws(() => scheduleSpecOf({ every: '1h', timezone: 'UTC' }), usage(/--cron only/));
    });
  });
});
