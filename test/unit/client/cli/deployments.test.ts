import assert from 'node:assert/strict';
import { deploymentId } from '../../../../client/cli/commands/deployments';
import { parseConfig, REPO_ROOT } from '../../../../common/config/parse';
import { DEFAULT_ROLLBACK_ALARMS, type DeploymentState } from '../../../../common/types/deployment';
import { UsageError } from '../../../../services/usage-error';
import { runInProcess, TestCliContext } from '../../../helpers/cli-in-process';
import { activityHistory, shadowSnapshot } from '../../../helpers/deployment-history';
import { fakeClient } from '../../../helpers/fake-temporal-client';

describe('client/cli/commands/deployments', () => {
  it('when a deployment is named with or without its workflow prefix, then both name the same workflow', () => {
    assert.equal(deploymentId('mlops-xgboost/v7'), 'deployment/mlops-xgboost/v7');
    assert.equal(deploymentId('deployment/mlops-xgboost/v7'), 'deployment/mlops-xgboost/v7');
  });

  it('when the name is not ENDPOINT/vVERSION, then it is bad usage naming the form', () => {
    for (const bad of ['mlops-xgboost', 'mlops-xgboost/7', '../etc/v1', 'deployment/a b/v1', `${'a'.repeat(64)}/v1`]) {
      assert.throws(() => deploymentId(bad), (err: unknown) => err instanceof UsageError && /ENDPOINT\/vVERSION/.test(err.message), bad);
    }
  });

  describe('show of a shadow deployment', () => {
    const state: DeploymentState = {
      endpointName: 'mlops-xgboost',
      family: 'xgboost',
      policy: { type: 'shadow', shadowShare: 0.5, shadowPeriod: '10 minutes', promotion: 'manual', decisionTimeout: '1 hour', finalBake: '1 minute' },
      mode: 'driven',
      phase: 'awaiting-decision',
      target: { modelName: 'new', version: 3, endpointConfigName: 'cfg-new', variantName: 'new' },
      previous: { endpointConfigName: 'cfg-old', variantName: 'old', modelName: 'old' },
      traffic: [
        { variantName: 'old', modelName: 'old', role: 'production', share: 1 },
        { variantName: 'new', modelName: 'new', role: 'shadow', share: 0.5 },
      ],
      alarms: [{ name: 'error-rate', state: 'OK', threshold: DEFAULT_ROLLBACK_ALARMS.maxErrorRate, value: 0, sample: 20, reason: '0 of 20 request(s) failed' }],
      readings: [],
      shadow: { championVariant: 'old', shadowVariant: 'new', pairs: 3, relativeDifference: { p50: 0.004 }, champion: { invocations: 30, errors: 0, latencyMs: {} }, shadow: { invocations: 21, errors: 1, latencyMs: {} }, dropped: 0 },
      requestedBy: { workflowId: 'training/x', kind: 'training' },
      startedAt: '2026-03-04T10:00:00Z',
      updatedAt: '2026-03-04T10:00:10Z',
    };
    const client = () =>
      fakeClient([
        {
          type: 'endpointDeployment',
          workflowId: 'deployment/mlops-xgboost/v3',
          status: 'RUNNING',
          queries: { deploymentState: state },
          history: activityHistory([
            { type: 'readDeploymentMetrics', result: shadowSnapshot('2026-03-04T10:00:05Z', { champion: [], shadow: [], differences: [] }) },
            { type: 'readDeploymentMetrics', result: shadowSnapshot('2026-03-04T10:00:10Z', { champion: Array(30).fill(0.004) as number[], shadow: Array(20).fill(0.02) as number[], shadowErrors: 1, differences: [0.003, 0.003, 0.3] }) },
          ]),
        },
      ]);
    const config = parseConfig({ MLOPS_HOME: '/nonexistent' }, REPO_ROOT);

    it('when shown, then the shadow is compared with the champion from the recorded readings: p50/p95/p99, error rates and the difference distribution', async () => {
      const { code, stdout } = await runInProcess(new TestCliContext(config, client()), 'deployments', 'show', 'mlops-xgboost/v3');
      assert.equal(code, 0);
      assert.match(stdout, /shadow new beside old \(3 pairs, 0 mirrored requests dropped; 2 readings from 2026-03-04T10:00:05Z to 2026-03-04T10:00:10Z\)/);
      assert.match(stdout, /P50 MS +P95 MS +P99 MS/);
      assert.match(stdout, /shadow +new +21 +1 +4\.8 %/);
      assert.match(stdout, /0\.001 - 0\.005 +2 +#{30}/);
      assert.match(stdout, /0\.2 - 0\.5 +1 +#{15}/);
    });

    it('when shown as JSON, then the report is there beside the state', async () => {
      const { stdout } = await runInProcess(new TestCliContext(config, client()), 'deployments', 'show', 'mlops-xgboost/v3', '--json');
      const shown = JSON.parse(stdout) as DeploymentState & { shadowReport: { pairs: number; shadow: { errorRate: number } } };
      assert.equal(shown.phase, 'awaiting-decision');
      assert.equal(shown.shadowReport.pairs, 3);
      assert.equal(shown.shadowReport.shadow.errorRate, 0.0476);
    });

    it('when the deployment does not exist, then bad usage naming it', async () => {
      const { code, stderr } = await runInProcess(new TestCliContext(config, client()), 'deployments', 'show', 'mlops-xgboost/v9');
      assert.equal(code, 2);
      assert.match(stderr, /no deployment 'deployment\/mlops-xgboost\/v9'/);
    });
  });
});
