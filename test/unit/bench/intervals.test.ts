import assert from 'node:assert/strict';
import { coveredMs, criticalChain, unionMs } from '../../../bench/lib/intervals';

const job = (name: string, start: number, end: number) => ({ name, start, end });

describe('bench intervals (the training bench critical path)', () => {
  // A training run's shape: pre-processing, two trainings and the data-quality baseline in parallel, then each model's scoring and baseline.
  const run = [
    job('preprocess', 0, 1000),
    job('train-a', 1200, 4000),
    job('train-b', 1200, 3000),
    job('baseline-data', 1300, 2000),
    job('baseline-model-a-scoring', 4300, 5000),
    job('baseline-model-a', 5200, 6000),
    job('baseline-model-b-scoring', 3300, 3900),
    job('baseline-model-b', 4100, 4700),
  ];

  it('when jobs run in parallel, then the critical path is the heaviest chain of jobs that ran one after another, not their sum', () => {
    const chain = criticalChain(run);
    assert.deepEqual(chain.jobs.map((j) => j.name), ['preprocess', 'train-a', 'baseline-model-a-scoring', 'baseline-model-a']);
    assert.equal(chain.ms, 1000 + 2800 + 700 + 800);
    assert.ok(chain.ms < run.reduce((s, j) => s + j.end - j.start, 0));
  });

  it('when a pipeline adds a job after another, then the chain follows it without a list of job names', () => {
    const b = run.map((j) => (j.name === 'baseline-model-b' ? job(j.name, 3950, 4650) : j));
    const chain = criticalChain([...b, job('compare-b', 4700, 7500)]);
    assert.deepEqual(chain.jobs.map((j) => j.name), ['preprocess', 'train-b', 'baseline-model-b-scoring', 'baseline-model-b', 'compare-b']);
    assert.equal(chain.ms, 1000 + 1800 + 600 + 700 + 2800);
  });

  it('when unrelated jobs happen to run one after another, then the chain may take them: it is never shorter than the real dependency path', () => {
    const chain = criticalChain([...run, job('compare-b', 4900, 7500)]);
    assert.deepEqual(chain.jobs.map((j) => j.name), ['preprocess', 'train-a', 'baseline-model-b', 'compare-b']);
    assert.ok(chain.ms >= 1000 + 1800 + 600 + 700 + 2600);
  });

  it('when two jobs overlap, then they are never both on the chain', () => {
    const chain = criticalChain([job('x', 0, 1000), job('y', 999, 2000)]);
    assert.equal(chain.jobs.length, 1);
    assert.equal(chain.ms, 1001);
  });

  it('when there are no jobs, then the chain is empty', () => {
    assert.deepEqual(criticalChain([]), { jobs: [], ms: 0 });
  });

  it('when intervals overlap, then the union counts the shared time once, and never less than the chain', () => {
    assert.equal(unionMs(run), 1000 + 2800 + 900 + 800);
    assert.ok(unionMs(run) >= criticalChain(run).ms);
  });

  it('when intervals stick out of a window, then only the time inside the window counts', () => {
    assert.equal(coveredMs({ start: 1000, end: 2000 }, [job('a', 500, 1200), job('b', 1100, 1300), job('c', 1900, 2500), job('d', 3000, 4000)]), 300 + 100);
  });
});
