import assert from 'node:assert/strict';
import { cpuPriorityOf } from '../../../../../activities/backends/local/job-command';
import type { JobRecord } from '../../../../../activities/backends/local/job-record';
import type { CpuPriority } from '../../../../../activities/backends/types';

/** Only the fields the priority reads. */
function record(kind: 'training' | 'processing' | 'transform', cpuPriority?: CpuPriority): JobRecord {
  const spec = { jobName: 'j', ...(cpuPriority ? { cpuPriority } : {}) };
  return { spec: { kind, [kind]: spec } } as unknown as JobRecord;
}

describe('activities/backends/local/job-command: the CPU priority of a job process', () => {
  it('when a follow-up job starts while a training runs, then it yields (follow-up)', () => {
    assert.equal(cpuPriorityOf(record('transform', 'follow-up'), { trainingRunning: true }), 'follow-up');
    assert.equal(cpuPriorityOf(record('processing', 'follow-up'), { trainingRunning: true }), 'follow-up');
  });

  it('when a follow-up job starts and no training runs, then it runs at the normal priority (it is the critical path, nothing to yield to)', () => {
    assert.equal(cpuPriorityOf(record('transform', 'follow-up'), { trainingRunning: false }), undefined);
    assert.equal(cpuPriorityOf(record('processing', 'follow-up'), {}), undefined);
  });

  it('when a job asks for background, then it yields whatever runs; a training or a job that asks nothing runs at the normal priority', () => {
    assert.equal(cpuPriorityOf(record('processing', 'background'), { trainingRunning: false }), 'background');
    assert.equal(cpuPriorityOf(record('processing', 'background'), { trainingRunning: true }), 'background');
    assert.equal(cpuPriorityOf(record('processing'), { trainingRunning: true }), undefined);
    assert.equal(cpuPriorityOf(record('training'), { trainingRunning: true }), undefined);
  });
});
