import assert from 'node:assert/strict';
import { claim, fileTime, MAX_FAILED_RUNS, parseBookmark, prune, settle, type Bookmark } from '../../../../activities/monitoring/bookmark';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const capture = (hourIso: string, id: string) => {
  const d = new Date(hourIso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `s3://mlops/capture/ep/AllTraffic/${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCHours())}/${p(d.getUTCMinutes())}-00-000-${id}.jsonl`;
};
const options = (run: string, now: string) => ({ run, now: at(now), leaseMs: 3 * HOUR });

describe('monitoring bookmark (claims, settling, pruning)', () => {
  it('reads a version-1 bookmark as every consumed file done, and an empty one as nothing taken', () => {
    const v1 = parseBookmark(JSON.stringify({ consumed: { 's3://mlops/capture/a.jsonl': 'run-1' } }));
    assert.deepEqual(v1.capture['s3://mlops/capture/a.jsonl']?.state, 'done');
    assert.deepEqual(parseBookmark(undefined), { version: 2, capture: {}, groundTruth: {} });
  });

  it('takes a file time from the capture minute, else from the hour folder', () => {
    assert.equal(fileTime(capture('2026-03-02T09:10:00Z', 'a')), at('2026-03-02T09:10:00Z'));
    assert.equal(fileTime('s3://mlops/capture/batch/xgboost/2026/03/02/09/run/cars.csv.captured.csv'), at('2026-03-02T09:00:00Z'));
    assert.equal(fileTime('s3://mlops/elsewhere/file.csv'), undefined);
  });

  it('a run claims what nobody holds; its retry gets the same set; another run gets none of it until the lease of a vanished run expires', () => {
    const b: Bookmark = parseBookmark(undefined);
    const files = [capture('2026-03-02T09:10:00Z', 'a'), capture('2026-03-02T09:20:00Z', 'b')];
    assert.deepEqual(claim(b, 'capture', files, options('r1', '2026-03-02T10:00:00Z')).mine, files);
    const retry = claim(b, 'capture', files, options('r1', '2026-03-02T10:00:30Z'));
    assert.deepEqual([retry.mine, retry.changed], [files, false]);
    assert.deepEqual(claim(b, 'capture', files, options('r2', '2026-03-02T11:00:00Z')).mine, []);
    assert.deepEqual(claim(b, 'capture', files, options('r3', '2026-03-02T13:00:01Z')).mine, files, 'r1 is gone: its claims expired after the lease');
  });

  it('a failed run releases its files to the next run; after MAX_FAILED_RUNS failed runs a file is quarantined', () => {
    const b: Bookmark = parseBookmark(undefined);
    const poison = [capture('2026-03-02T09:10:00Z', 'poison')];
    for (let i = 1; i <= MAX_FAILED_RUNS; i++) {
      assert.deepEqual(claim(b, 'capture', poison, options(`r${i}`, '2026-03-02T10:00:00Z')).mine, poison, `run ${i} takes it again`);
      const settled = settle(b, `r${i}`, 'release', 48 * HOUR, at('2026-03-02T10:00:00Z'));
      assert.deepEqual(settled.quarantined, i === MAX_FAILED_RUNS ? poison : []);
    }
    assert.deepEqual(claim(b, 'capture', poison, options('r9', '2026-03-02T10:00:00Z')).mine, []);
    assert.equal(b.capture[poison[0]!]?.quarantined, true);
  });

  it('done entries behind the horizon are pruned, the watermark moves, and a file older than it is too late; a late file within the horizon is still taken', () => {
    const b: Bookmark = parseBookmark(undefined);
    const old = capture('2026-03-01T00:10:00Z', 'old');
    const recent = capture('2026-03-04T00:10:00Z', 'recent');
    claim(b, 'capture', [old, recent], options('r1', '2026-03-04T01:00:00Z'));
    settle(b, 'r1', 'done', 48 * HOUR, at('2026-03-04T01:00:00Z'));
    assert.deepEqual(Object.keys(b.capture), [recent], 'the old entry was pruned');
    assert.equal(b.watermark, '2026-03-02T00:10:00.000Z');
    const tooLate = capture('2026-03-01T12:00:00Z', 'too-late');
    const lateButFine = capture('2026-03-03T12:00:00Z', 'late');
    const got = claim(b, 'capture', [old, tooLate, lateButFine], options('r2', '2026-03-04T02:00:00Z'));
    assert.deepEqual(got.mine, [lateButFine]);
    assert.deepEqual(got.tooLate, [old, tooLate]);
    assert.equal(prune(b, 48 * HOUR, at('2026-03-04T02:00:00Z')), false, 'nothing more to prune');
  });

  it("stays bounded: ten days of per-minute files keep about the horizon's worth of entries", () => {
    const b: Bookmark = parseBookmark(undefined);
    const start = at('2026-03-01T00:00:00Z');
    for (let hour = 0; hour < 10 * 24; hour++) {
      const files = Array.from({ length: 60 }, (_, m) => capture(new Date(start + hour * HOUR + m * 60_000).toISOString(), `h${hour}`));
      const now = start + (hour + 1) * HOUR;
      claim(b, 'capture', files, { run: `r${hour}`, now, leaseMs: 3 * HOUR });
      settle(b, `r${hour}`, 'done', 48 * HOUR, now);
    }
    assert.ok(Object.keys(b.capture).length <= 49 * 60, `${Object.keys(b.capture).length} entries`);
  });
});
