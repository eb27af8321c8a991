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

const backendWith = (hosting: ModelHosting, pollBackoff?: { factor: number; maxIntervalMs: number }) => ({ hosting, jobs: { pollBackoff } }) as unknown as Backend;

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
