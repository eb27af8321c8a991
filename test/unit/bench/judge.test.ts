import assert from 'node:assert/strict';
import { judge } from '../../../bench/lib/judge';

describe('bench judge (make bench)', () => {
  const line = (o: unknown) => JSON.stringify(o);

  it('when a bench exits 0 and its last line says pass, then it passed', () => {
    assert.deepEqual(judge(0, null, line({ benchmark: 'x', checks: { a: true }, pass: true })), { pass: true, reason: 'all targets met' });
  });

  it('when a bench exits 0 but its last line says pass: false, then it failed and the missed checks are named', () => {
    const verdict = judge(0, null, line({ benchmark: 'x', checks: { wallSeconds: true, overheadVsCriticalPathSeconds: false }, pass: false }));
    assert.equal(verdict.pass, false);
    assert.equal(verdict.reason, 'missed overheadVsCriticalPathSeconds');
  });

  it('when a Python bench misses a target, then the names come from its targets map', () => {
    const verdict = judge(1, null, line({ benchmark: 'scoring', targets: { 'rows_per_s_at_1m>=100000': false, 'time_vs_bare_at_1m<=1.5': true }, pass: false }));
    assert.deepEqual(verdict, { pass: false, reason: 'missed rows_per_s_at_1m>=100000' });
  });

  it('when a bench reports pass but exits non-zero, then it failed', () => {
    assert.deepEqual(judge(1, null, line({ pass: true })), { pass: false, reason: 'reported pass but exited non-zero' });
  });

  it('when a bench crashes before its JSON line, then it failed even with exit 0', () => {
    for (const last of ['progress: run 3/5', null, '[true]', '{"benchmark":"x"}']) assert.equal(judge(0, null, last).pass, false, String(last));
  });

  it('when a bench is killed by a signal, then it failed', () => {
    assert.deepEqual(judge(null, 'SIGKILL', line({ pass: true })), { pass: false, reason: 'killed by SIGKILL' });
  });
});
