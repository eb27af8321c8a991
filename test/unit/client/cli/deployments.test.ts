import assert from 'node:assert/strict';
import { deploymentId } from '../../../../client/cli/commands/deployments';
import { UsageError } from '../../../../services/usage-error';

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
});
