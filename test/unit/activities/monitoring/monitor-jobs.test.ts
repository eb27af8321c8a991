import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { Backend, JobDescription } from '../../../../activities/backends/types';
import { createMonitorJobActivities, enrichViolation } from '../../../../activities/monitoring/monitor-jobs';
import { quietActivityEnvironment, runInActivity } from '../../../helpers/activity-env';

/** A backend whose model-quality job fails with the given reason. */
function failingJobBackend(failureReason: string): Backend {
  const description: JobDescription = { jobName: 'mq', kind: 'processing', status: 'Failed', secondaryStatus: 'Failed', failureReason, creationTime: '', resources: { instanceType: 'ml.m5.large', instanceCount: 1 }, finalMetrics: [] };
  return { jobs: { startProcessingJob: async () => ({ alreadyExisted: false }), describeJob: async () => description, stopJob: async () => undefined } } as unknown as Backend;
}

const input = {
  jobName: 'mq',
  model: { family: 'xgboost' as const, modelName: 'm', modelVersion: 1, featureSchemaUri: 's3://b/s', dataQualityStatisticsUri: 's3://b/st', dataQualityConstraintsUri: 's3://b/c', modelQualityConstraintsUri: 's3://b/mq/constraints.json' },
  capturePrefix: 's3://b/capture/',
  groundTruthPrefix: 's3://b/gt/',
  outputPrefix: 's3://b/out',
  resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
  maxRuntimeSeconds: 60,
};

describe('runModelQualityMonitor (activity)', () => {
  it('when no label matches a captured prediction, then model quality is reported as not evaluated, not as a failure', async () => {
    const { runModelQualityMonitor } = createMonitorJobActivities(failingJobBackend('ClientError: NoMatch: no captured inference matches a ground-truth record (3 captured, 2 ground-truth records)'), { pollIntervalMs: 1 });
    const report = await runInActivity(quietActivityEnvironment(), () => runModelQualityMonitor(input));
    assert.equal(report.evaluated, false);
    assert.match(report.reason ?? '', /no captured inference matches/);
  });

  it('when the ground truth is broken, then the job failure fails the check with its message', async () => {
    const { runModelQualityMonitor } = createMonitorJobActivities(failingJobBackend("ClientError: gt/2026/03/02/15/a.jsonl, line 3: ground truth 'abc' is not a finite number"), { pollIntervalMs: 1 });
    await assert.rejects(
      runInActivity(quietActivityEnvironment(), () => runModelQualityMonitor(input)),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable && /line 3: ground truth 'abc'/.test(err.message),
    );
  });
});

describe('enrichViolation (drift record values from Model Monitor descriptions)', () => {
  const cases: [string, string, number | undefined, number | undefined][] = [
    ['baseline_drift_check', 'Numerical distance: 0.2292 exceeds numerical threshold: 0.1', 0.2292, 0.1],
    ['LessThanThreshold', "Metric rmse with 5123.4 was LessThanThreshold '3000.0'", 5123.4, 3000],
    ['data_type_check', 'Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. Observed: Only 92.5% of data is Integral.', 0.925, 1],
    ['completeness_check', 'Data completeness requirement is not met. Expected completeness: 100.0%. Observed: Only 80.0% of data is present.', 0.8, 1],
    ['categorical_values_check', 'Data content requirement is not met. Expected: at least 100.0% of values in the baseline domain. Observed: Only 75.0% of values are in the domain; values outside it include: Tesla', 0.75, 1],
    ['extra_column_check', "Extra column: the current dataset has 9 columns, the baseline 8 (matched by position); column 8 'Color' is not in the baseline.", undefined, undefined],
  ];
  for (const [check, description, current, baseline] of cases) {
    it(`${check}: current ${current ?? '-'}, baseline ${baseline ?? '-'}`, () => {
      const v = enrichViolation({ constraint_check_type: check, description, feature_name: 'Mileage' });
      assert.equal(v.currentValue, current);
      assert.equal(v.baselineValue, baseline);
    });
  }
});
