import assert from 'node:assert/strict';
import type { Backend, EndpointConfigSpec } from '../../activities/backends/types';
import { HostingError } from '../../activities/backends/errors';
import { contractSuite } from './backends';

function configSpec(name: string, modelName: string, overrides: Partial<EndpointConfigSpec> = {}): EndpointConfigSpec {
  return {
    endpointConfigName: name,
    variants: [{ variantName: 'AllTraffic', modelName, instanceType: 'ml.m5.large', instanceCount: 1 }],
    dataCapture: {
      enableCapture: true,
      initialSamplingPercentage: 100,
      destinationS3Uri: 's3://mlops/data-capture',
      captureModes: ['Input', 'Output'],
      csvContentTypes: ['text/csv'],
      jsonContentTypes: ['application/json'],
    },
    ...overrides,
  };
}

const isHostingError = (kind: 'NotFound' | 'Conflict') => (err: unknown) => err instanceof HostingError && err.kind === kind;

/** Two models and a config for each (config-1 serves model-xgb-1, config-2 model-xgb-2). */
async function modelsAndConfigs(backend: Backend): Promise<void> {
  await backend.hosting.createModel({ modelName: 'model-xgb-1', image: 'xgboost', artifactUri: 's3://mlops/m/1/model.tar.gz' });
  await backend.hosting.createModel({ modelName: 'model-xgb-2', image: 'xgboost', artifactUri: 's3://mlops/m/2/model.tar.gz' });
  await backend.hosting.createEndpointConfig(configSpec('config-1', 'model-xgb-1'));
  await backend.hosting.createEndpointConfig(configSpec('config-2', 'model-xgb-2'));
}

/** The endpoint mlops-xgboost on config-1. */
async function endpointOnConfig1(backend: Backend): Promise<void> {
  await modelsAndConfigs(backend);
  await backend.hosting.createEndpoint('mlops-xgboost', 'config-1');
}

contractSuite('contract: ModelHosting', (target, kind) => {
  it('createModel is idempotent by name; another artifact under the name is a Conflict', async () => {
    const { backend } = target();
    await backend.hosting.createModel({ modelName: 'model-xgb-1', image: 'xgboost', artifactUri: 's3://mlops/m/1/model.tar.gz' });
    await backend.hosting.createModel({ modelName: 'model-xgb-1', image: 'xgboost', artifactUri: 's3://mlops/m/1/model.tar.gz' });
    await assert.rejects(backend.hosting.createModel({ modelName: 'model-xgb-1', image: 'xgboost', artifactUri: 's3://mlops/m/other.tar.gz' }), isHostingError('Conflict'));
    await backend.hosting.createModel({ modelName: 'model-xgb-2', image: 'xgboost', artifactUri: 's3://mlops/m/2/model.tar.gz' });
  });

  it('createEndpointConfig (with DataCaptureConfig): first false, same spec again true, other settings Conflict, unknown model NotFound', async () => {
    const { backend } = target();
    await backend.hosting.createModel({ modelName: 'model-xgb-1', image: 'xgboost', artifactUri: 's3://mlops/m/1/model.tar.gz' });
    await backend.hosting.createModel({ modelName: 'model-xgb-2', image: 'xgboost', artifactUri: 's3://mlops/m/2/model.tar.gz' });
    assert.deepEqual(await backend.hosting.createEndpointConfig(configSpec('config-1', 'model-xgb-1')), { alreadyExisted: false });
    assert.deepEqual(await backend.hosting.createEndpointConfig(configSpec('config-1', 'model-xgb-1')), { alreadyExisted: true });
    await assert.rejects(backend.hosting.createEndpointConfig(configSpec('config-1', 'model-xgb-2')), isHostingError('Conflict'));
    await assert.rejects(
      backend.hosting.createEndpointConfig(configSpec('config-1', 'model-xgb-1', { dataCapture: { ...configSpec('x', 'y').dataCapture!, initialSamplingPercentage: 50 } })),
      isHostingError('Conflict'),
    );
    await assert.rejects(backend.hosting.createEndpointConfig(configSpec('config-x', 'no-such-model')), isHostingError('NotFound'));
    assert.deepEqual(await backend.hosting.createEndpointConfig(configSpec('config-2', 'model-xgb-2')), { alreadyExisted: false });
  });

  it(`createEndpoint then describe: ${kind === 'aws' ? 'moto puts endpoints InService at once' : 'Creating until the endpoint host serves it'}; names config and model`, async () => {
    const { backend } = target();
    await modelsAndConfigs(backend);
    await backend.hosting.createEndpoint('mlops-xgboost', 'config-1');
    const d = await backend.hosting.describeEndpoint('mlops-xgboost');
    assert.ok(d);
    assert.equal(d.endpointName, 'mlops-xgboost');
    assert.equal(d.endpointConfigName, 'config-1');
    assert.equal(d.status, kind === 'aws' ? 'InService' : 'Creating');
    assert.deepEqual(d.variants.map((v) => [v.variantName, v.modelName, v.desiredInstanceCount]), [['AllTraffic', 'model-xgb-1', 1]]);
    assert.ok(!Number.isNaN(Date.parse(d.creationTime)) && !Number.isNaN(Date.parse(d.lastModifiedTime)));
  });

  it('createEndpoint: an existing endpoint is a Conflict, an unknown config NotFound', async () => {
    const { backend } = target();
    await endpointOnConfig1(backend);
    await assert.rejects(backend.hosting.createEndpoint('mlops-xgboost', 'config-1'), isHostingError('Conflict'));
    await assert.rejects(backend.hosting.createEndpoint('mlops-other', 'no-such-config'), isHostingError('NotFound'));
  });

  it('updateEndpoint: unknown endpoint or config NotFound; the current config again is a no-op', async () => {
    const { backend } = target();
    await endpointOnConfig1(backend);
    await assert.rejects(backend.hosting.updateEndpoint('no-such-endpoint', 'config-2'), isHostingError('NotFound'));
    await assert.rejects(backend.hosting.updateEndpoint('mlops-xgboost', 'no-such-config'), isHostingError('NotFound'));
    await backend.hosting.updateEndpoint('mlops-xgboost', 'config-1');
    assert.equal((await backend.hosting.describeEndpoint('mlops-xgboost'))?.endpointConfigName, 'config-1');
  });

  if (kind === 'local') {
    // moto 5.2.5 does not implement UpdateEndpoint: the aws side of this is covered with a fake
    // SageMaker client in test/unit/aws-backend.test.ts.
    it('updateEndpoint to a new config moves the endpoint to Updating', async () => {
      const { backend } = target();
      await endpointOnConfig1(backend);
      await backend.hosting.updateEndpoint('mlops-xgboost', 'config-2');
      assert.equal((await backend.hosting.describeEndpoint('mlops-xgboost'))?.status, 'Updating');
    });
  }

  it('describeEndpoint of an unknown name is undefined; listEndpoints lists the endpoints', async () => {
    const { backend } = target();
    await endpointOnConfig1(backend);
    assert.equal(await backend.hosting.describeEndpoint('nope'), undefined);
    assert.deepEqual((await backend.hosting.listEndpoints()).map((e) => e.endpointName), ['mlops-xgboost']);
  });

  it('deleteEndpoint removes the endpoint (deleting it again is a no-op); its config stays for a new createEndpoint', async () => {
    const { backend } = target();
    await modelsAndConfigs(backend);
    await backend.hosting.createEndpoint('mlops-doomed', 'config-2');
    await backend.hosting.deleteEndpoint('mlops-doomed');
    await backend.hosting.deleteEndpoint('mlops-doomed');
    assert.equal(await backend.hosting.describeEndpoint('mlops-doomed'), undefined);
    await backend.hosting.createEndpoint('mlops-doomed', 'config-2');
    assert.equal((await backend.hosting.describeEndpoint('mlops-doomed'))?.endpointConfigName, 'config-2');
    await backend.hosting.deleteEndpoint('mlops-doomed');
  });
});
