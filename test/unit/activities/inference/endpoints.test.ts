import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createEndpointActivities } from '../../../../activities/inference/endpoints';
import type { Backend, EndpointDescription, EndpointStatus, ModelHosting } from '../../../../activities/backends/types';
import { quietActivityEnvironment, runInActivity } from '../../../helpers/activity-env';

/** A hosting control plane whose endpoint moves through scripted states, one per describe. */
function scriptedHosting(initial: EndpointDescription | undefined) {
  const calls: string[] = [];
  let current = initial;
  let script: (EndpointDescription | undefined | Error)[] = [];
  const describe = (name: string, config: string, status: EndpointStatus): EndpointDescription => ({ endpointName: name, endpointConfigName: config, status, variants: [], creationTime: '', lastModifiedTime: '' });
  const hosting: Partial<ModelHosting> = {
    describeEndpoint: async () => {
      if (script.length) {
        const next = script.shift();
        if (next instanceof Error) throw next;
        current = next;
      }
      return current;
    },
    deleteEndpoint: async (name) => void calls.push(`delete ${name}`),
    createEndpoint: async (name, config) => void calls.push(`create ${name} ${config}`),
    updateEndpoint: async (name, config) => void calls.push(`update ${name} ${config}`),
  };
  return { hosting: hosting as ModelHosting, calls, describe, setScript: (s: typeof script) => (script = s) };
}

const backendWith = (hosting: ModelHosting, pollBackoff?: { factor: number; maxIntervalMs: number }) => ({ hosting, jobs: { pollBackoff }, autoscaling: {} }) as unknown as Backend;

describe('deployEndpoint (activity)', () => {
  it('when the endpoint is Failed, then it is deleted, awaited until gone and created anew (SageMaker allows nothing else on a failed endpoint)', async () => {
    const h = scriptedHosting(undefined);
    const failed = { ...h.describe('ep', 'cfg-1', 'Failed'), failureReason: 'model server did not answer /ping' };
    h.setScript([failed, h.describe('ep', 'cfg-1', 'Deleting'), undefined, h.describe('ep', 'cfg-2', 'Creating'), h.describe('ep', 'cfg-2', 'InService')]);
    const { deployEndpoint } = createEndpointActivities(backendWith(h.hosting), { pollIntervalMs: 1 });
    const result = await runInActivity(quietActivityEnvironment(), () => deployEndpoint({ endpointName: 'ep', endpointConfigName: 'cfg-2' }));
    assert.equal(result.action, 'created');
    assert.deepEqual(h.calls, ['delete ep', 'create ep cfg-2']);
  });

  it('when describing the endpoint fails now and then, then it keeps waiting with backoff; a Failed endpoint ends the attempt for good', async () => {
    const h = scriptedHosting(undefined);
    h.setScript([h.describe('ep', 'cfg-1', 'InService'), new Error('ThrottlingException: Rate exceeded'), h.describe('ep', 'cfg-1', 'Updating'), new Error('socket hang up'), h.describe('ep', 'cfg-2', 'InService')]);
    const { deployEndpoint } = createEndpointActivities(backendWith(h.hosting, { factor: 2, maxIntervalMs: 8 }), { pollIntervalMs: 1 });
    const result = await runInActivity(quietActivityEnvironment(), () => deployEndpoint({ endpointName: 'ep', endpointConfigName: 'cfg-2' }));
    assert.equal(result.action, 'updated');
    assert.deepEqual(h.calls, ['update ep cfg-2']);

    const f = scriptedHosting(undefined);
    f.setScript([undefined, f.describe('ep', 'cfg-3', 'Creating'), { ...f.describe('ep', 'cfg-3', 'Failed'), failureReason: 'bad image' }]);
    const failing = createEndpointActivities(backendWith(f.hosting), { pollIntervalMs: 1 });
    await assert.rejects(
      runInActivity(quietActivityEnvironment(), () => failing.deployEndpoint({ endpointName: 'ep', endpointConfigName: 'cfg-3' })),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable && /bad image/.test(err.message),
    );
  });
});

describe('step 10 activities the workflow chooses between', () => {
  const env = () => quietActivityEnvironment();

  it('when create or update is retried after it took effect, then nothing is sent twice', async () => {
    const h = scriptedHosting(undefined);
    const acts = createEndpointActivities(backendWith(h.hosting), { pollIntervalMs: 1 });
    h.setScript([h.describe('ep', 'cfg-2', 'Creating')]);
    await runInActivity(env(), () => acts.createEndpoint({ endpointName: 'ep', endpointConfigName: 'cfg-2' }));
    h.setScript([h.describe('ep', 'cfg-3', 'Updating')]);
    await runInActivity(env(), () => acts.updateEndpoint({ endpointName: 'ep', endpointConfigName: 'cfg-3' }));
    assert.deepEqual(h.calls, [], 'the endpoint already moves to that configuration');
  });

  it('when the endpoint to create exists on another configuration, or the one to update is gone, then it fails permanently', async () => {
    const h = scriptedHosting(undefined);
    const acts = createEndpointActivities(backendWith(h.hosting), { pollIntervalMs: 1 });
    h.setScript([h.describe('ep', 'cfg-1', 'InService')]);
    await assert.rejects(runInActivity(env(), () => acts.createEndpoint({ endpointName: 'ep', endpointConfigName: 'cfg-2' })), (err: unknown) => err instanceof ApplicationFailure && err.type === 'Conflict' && err.nonRetryable);
    h.setScript([undefined]);
    await assert.rejects(runInActivity(env(), () => acts.updateEndpoint({ endpointName: 'ep', endpointConfigName: 'cfg-2' })), (err: unknown) => err instanceof ApplicationFailure && err.type === 'NotFound' && err.nonRetryable);
  });

  it('when an update fails and the endpoint is back InService on the old configuration with a reason, then the wait fails permanently with DeploymentFailed carrying the reason', async () => {
    const h = scriptedHosting(undefined);
    h.setScript([h.describe('ep', 'cfg-2', 'Updating'), h.describe('ep', 'cfg-2', 'Updating'), { ...h.describe('ep', 'cfg-1', 'InService'), failureReason: 'ResourceLimitExceeded: ml.m5.large' }]);
    const acts = createEndpointActivities(backendWith(h.hosting), { pollIntervalMs: 1 });
    await assert.rejects(
      runInActivity(env(), () => acts.waitForEndpoint({ endpointName: 'ep', endpointConfigName: 'cfg-2', before: { endpointConfigName: 'cfg-1', lastModifiedTime: '' } })),
      (err: unknown) => err instanceof ApplicationFailure && err.type === 'DeploymentFailed' && err.nonRetryable && /rolled back to cfg-1, which still serves: ResourceLimitExceeded/.test(err.message),
    );
  });

  it('when an old failure reason from before this update is still on the endpoint, then the wait keeps waiting for the new configuration', async () => {
    const h = scriptedHosting(undefined);
    const stale = { ...h.describe('ep', 'cfg-1', 'InService'), failureReason: 'an update last week failed', lastModifiedTime: 't0' };
    h.setScript([stale, h.describe('ep', 'cfg-2', 'Updating'), h.describe('ep', 'cfg-2', 'InService')]);
    const acts = createEndpointActivities(backendWith(h.hosting), { pollIntervalMs: 1 });
    await runInActivity(env(), () => acts.waitForEndpoint({ endpointName: 'ep', endpointConfigName: 'cfg-2', before: { endpointConfigName: 'cfg-1', failureReason: 'an update last week failed', lastModifiedTime: 't0' } }));
  });

  it('when the endpoint is UpdateRollbackFailed, then it is neither updated nor deleted: the run fails with DeploymentFailed', async () => {
    const h = scriptedHosting(undefined);
    const acts = createEndpointActivities(backendWith(h.hosting), { pollIntervalMs: 1 });
    h.setScript([{ ...h.describe('ep', 'cfg-1', 'UpdateRollbackFailed'), failureReason: 'rollback failed' }]);
    await assert.rejects(runInActivity(env(), () => acts.updateEndpoint({ endpointName: 'ep', endpointConfigName: 'cfg-2' })), (err: unknown) => err instanceof ApplicationFailure && err.type === 'DeploymentFailed' && /still serves traffic/.test(err.message));
    assert.deepEqual(h.calls, []);
  });

  it('when the wait sees the new configuration InService, then it ends; a Failed endpoint is deleted only when Failed', async () => {
    const h = scriptedHosting(undefined);
    h.setScript([h.describe('ep', 'cfg-2', 'Creating'), h.describe('ep', 'cfg-2', 'InService')]);
    const acts = createEndpointActivities(backendWith(h.hosting), { pollIntervalMs: 1 });
    await runInActivity(env(), () => acts.waitForEndpoint({ endpointName: 'ep', endpointConfigName: 'cfg-2' }));
    h.setScript([h.describe('ep', 'cfg-2', 'InService')]);
    await assert.rejects(runInActivity(env(), () => acts.deleteFailedEndpoint({ endpointName: 'ep' })), (err: unknown) => err instanceof ApplicationFailure && err.type === 'Conflict');
    h.setScript([h.describe('ep', 'cfg-2', 'Failed'), h.describe('ep', 'cfg-2', 'Deleting'), undefined]);
    await runInActivity(env(), () => acts.deleteFailedEndpoint({ endpointName: 'ep' }));
    assert.deepEqual(h.calls, ['delete ep']);
  });
});

describe('createEndpointConfig (activity)', () => {
  it('when a config is created, then its production variant is named after the model, so every invocation’s answer says which model produced it', async () => {
    const specs: Parameters<ModelHosting['createEndpointConfig']>[0][] = [];
    const hosting = { createEndpointConfig: async (spec: Parameters<ModelHosting['createEndpointConfig']>[0]) => (specs.push(spec), { alreadyExisted: false }) } as unknown as ModelHosting;
    const { createEndpointConfig } = createEndpointActivities(backendWith(hosting), { pollIntervalMs: 1 });

    await createEndpointConfig({
      endpointConfigName: 'endpoint-config-xgboost-0123456789ab',
      family: 'xgboost',
      modelName: 'model-xgboost-0123456789ab',
      deployment: { endpointNamePrefix: 'mlops', instanceType: 'local', instanceCount: 2, dataCapture: { enabled: true, samplingPercentage: 100, destinationUri: 's3://mlops/capture', captureModes: ['Input', 'Output'] } },
    });

    assert.deepEqual(specs[0]?.variants, [{ variantName: 'model-xgboost-0123456789ab', modelName: 'model-xgboost-0123456789ab', instanceType: 'local', instanceCount: 2 }]);
  });
});
