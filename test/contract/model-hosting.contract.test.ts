import assert from 'node:assert/strict';
import type { Backend, EndpointConfigSpec } from '../../activities/backends/types';
import { HostingError } from '../../activities/backends/errors';
import { BOTH_PROJECTS, contractSuite, type ProjectNames } from './backends';

function configSpec(name: string, modelName: string, overrides: Partial<EndpointConfigSpec> = {}, captureUri = 's3://mlops/capture'): EndpointConfigSpec {
  return {
    endpointConfigName: name,
    variants: [{ variantName: 'AllTraffic', modelName, instanceType: 'ml.m5.large', instanceCount: 1 }],
    dataCapture: {
      enableCapture: true,
      initialSamplingPercentage: 100,
      destinationS3Uri: captureUri,
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

/** The project's xgboost endpoint (mlops-xgboost in the demo project) on config-1. */
async function endpointOnConfig1(backend: Backend, names: ProjectNames): Promise<void> {
  await modelsAndConfigs(backend);
  await backend.hosting.createEndpoint(names.endpoint('xgboost'), 'config-1');
}

/** Runs for the demo project and a second one: endpoints carry the suite's project (`mlops-<project>-xgboost`). */
contractSuite('contract: ModelHosting', (target, kind) => {
  const xgb = () => target().names.endpoint('xgboost');
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
    await backend.hosting.createEndpoint(xgb(), 'config-1');
    const d = await backend.hosting.describeEndpoint(xgb());
    assert.ok(d);
    assert.equal(d.endpointName, xgb());
    assert.equal(d.endpointConfigName, 'config-1');
    assert.equal(d.status, kind === 'aws' ? 'InService' : 'Creating');
    assert.deepEqual(d.variants.map((v) => [v.variantName, v.modelName, v.desiredInstanceCount]), [['AllTraffic', 'model-xgb-1', 1]]);
    assert.ok(!Number.isNaN(Date.parse(d.creationTime)) && !Number.isNaN(Date.parse(d.lastModifiedTime)));
  });

  it('createEndpoint: an existing endpoint is a Conflict, an unknown config NotFound', async () => {
    const { backend } = target();
    await endpointOnConfig1(backend, target().names);
    await assert.rejects(backend.hosting.createEndpoint(xgb(), 'config-1'), isHostingError('Conflict'));
    await assert.rejects(backend.hosting.createEndpoint('mlops-other', 'no-such-config'), isHostingError('NotFound'));
  });

  it('updateEndpoint: unknown endpoint or config NotFound; the current config again is a no-op', async () => {
    const { backend } = target();
    await endpointOnConfig1(backend, target().names);
    await assert.rejects(backend.hosting.updateEndpoint('no-such-endpoint', 'config-2'), isHostingError('NotFound'));
    await assert.rejects(backend.hosting.updateEndpoint(xgb(), 'no-such-config'), isHostingError('NotFound'));
    await backend.hosting.updateEndpoint(xgb(), 'config-1');
    assert.equal((await backend.hosting.describeEndpoint(xgb()))?.endpointConfigName, 'config-1');
  });

  if (kind === 'local') {
    // moto 5.2.5 does not implement UpdateEndpoint: the aws side of this is covered with a fake
    // SageMaker client in test/unit/aws-backend.test.ts.
    it('updateEndpoint to a new config moves the endpoint to Updating', async () => {
      const { backend } = target();
      await endpointOnConfig1(backend, target().names);
      await backend.hosting.updateEndpoint(xgb(), 'config-2');
      assert.equal((await backend.hosting.describeEndpoint(xgb()))?.status, 'Updating');
    });
  }

  it('describeEndpoint of an unknown name is undefined; listEndpoints lists the endpoints', async () => {
    const { backend } = target();
    await endpointOnConfig1(backend, target().names);
    assert.equal(await backend.hosting.describeEndpoint('nope'), undefined);
    assert.deepEqual((await backend.hosting.listEndpoints()).map((e) => e.endpointName), [xgb()]);
  });

  it("when another project has an endpoint for the same family, then both are served side by side under their own names, each on its own config and capture prefix, and deleting one leaves the other", async () => {
    const { backend, names, otherNames } = target();
    await modelsAndConfigs(backend);
    await backend.hosting.createEndpointConfig(configSpec('config-mine', 'model-xgb-1', {}, names.uri('s3://mlops/capture')));
    await backend.hosting.createEndpointConfig(configSpec('config-theirs', 'model-xgb-2', {}, otherNames.uri('s3://mlops/capture')));
    const [mine, theirs] = [names.endpoint('xgboost'), otherNames.endpoint('xgboost')];
    assert.notEqual(mine, theirs);
    await backend.hosting.createEndpoint(mine, 'config-mine');
    await backend.hosting.createEndpoint(theirs, 'config-theirs');
    assert.deepEqual((await backend.hosting.listEndpoints()).map((e) => e.endpointName).sort(), [mine, theirs].sort());
    assert.equal((await backend.hosting.describeEndpoint(mine))?.variants[0]?.modelName, 'model-xgb-1');
    assert.equal((await backend.hosting.describeEndpoint(theirs))?.variants[0]?.modelName, 'model-xgb-2');
    assert.equal((await backend.hosting.describeEndpointConfig('config-mine'))?.dataCapture?.destinationS3Uri, names.uri('s3://mlops/capture'));
    await backend.hosting.deleteEndpoint(theirs);
    assert.equal(await backend.hosting.describeEndpoint(theirs), undefined);
    assert.equal((await backend.hosting.describeEndpoint(mine))?.endpointConfigName, 'config-mine');
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
}, { projects: BOTH_PROJECTS });
