import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { HostingError } from '../../../../../activities/backends/errors';
import { hostingState, LocalModelHosting } from '../../../../../activities/backends/local/model-hosting';
import type { EndpointConfigSpec } from '../../../../../activities/backends/types';
import { refusedUrl } from '../../../../helpers/fake-sagemaker-runtime';
import { createTempDir, removeTempDir } from '../../../../helpers/temp-dir';

const MODEL = { modelName: 'used-cars-xgb-v3', image: 'xgboost' as const, artifactUri: 's3://mlops/runs/r1/models/job-x3/output/model.tar.gz' };

function configSpec(overrides: Partial<EndpointConfigSpec> = {}): EndpointConfigSpec {
  return {
    endpointConfigName: 'used-cars-xgb-config-v3',
    variants: [{ variantName: 'AllTraffic', modelName: MODEL.modelName, instanceType: 'local', instanceCount: 2 }],
    dataCapture: {
      enableCapture: true,
      initialSamplingPercentage: 100,
      destinationS3Uri: 's3://mlops/model-monitor/data-capture',
      captureModes: ['Input', 'Output'],
      csvContentTypes: ['text/csv'],
      jsonContentTypes: ['application/json'],
    },
    ...overrides,
  };
}

function isHostingError(kind: HostingError['kind'], message: RegExp) {
  return (err: unknown) => err instanceof HostingError && err.kind === kind && message.test(err.message);
}

describe('activities/backends/local/model-hosting', () => {
  let tmp: string;
  let file: string;
  let hosting: LocalModelHosting;

  beforeEach(async () => {
    tmp = await createTempDir();
    file = path.join(tmp, 'registry', 'hosting.json');
    hosting = new LocalModelHosting(file);
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  const readState = () => hostingState(file).read();

  /** A model, a config and an endpoint created on it. */
  async function endpointOn(configName = 'used-cars-xgb-config-v3'): Promise<void> {
    await hosting.createModel(MODEL);
    await hosting.createEndpointConfig(configSpec({ endpointConfigName: configName }));
    await hosting.createEndpoint('used-cars-xgb', configName);
  }

  describe('createModel', () => {
    it('when a model is created twice with the same artifact, then it is stored once and keeps its first creation time', async () => {
      await hosting.createModel(MODEL);
      const first = (await readState()).models[MODEL.modelName];

      await hosting.createModel(MODEL);

      const state = await readState();
      assert.deepEqual(Object.keys(state.models), [MODEL.modelName]);
      assert.deepEqual(state.models[MODEL.modelName], first);
      assert.equal(first?.artifactUri, MODEL.artifactUri);
      assert.equal(first?.image, 'xgboost');
    });

    it('when a model name is reused for another artifact, then Conflict and the first artifact stays', async () => {
      await hosting.createModel(MODEL);

      await assert.rejects(hosting.createModel({ ...MODEL, artifactUri: 's3://mlops/other/model.tar.gz' }), isHostingError('Conflict', /already exists with another artifact/));

      assert.equal((await readState()).models[MODEL.modelName]?.artifactUri, MODEL.artifactUri);
    });
  });

  describe('createEndpointConfig', () => {
    it('when a variant names a model that does not exist, then NotFound and no config is stored', async () => {
      await assert.rejects(hosting.createEndpointConfig(configSpec()), isHostingError('NotFound', /no model named used-cars-xgb-v3/));

      assert.deepEqual((await readState()).endpointConfigs, {});
    });

    it('when a config is created, then alreadyExisted is false and the spec is stored as given', async () => {
      await hosting.createModel(MODEL);

      const result = await hosting.createEndpointConfig(configSpec());

      assert.deepEqual(result, { alreadyExisted: false });
      const { createdAt, ...stored } = (await readState()).endpointConfigs['used-cars-xgb-config-v3']!;
      assert.deepEqual(stored, configSpec());
      assert.ok(!Number.isNaN(Date.parse(createdAt)));
    });

    it('when the same spec is created again, then alreadyExisted is true and nothing changes', async () => {
      await hosting.createModel(MODEL);
      await hosting.createEndpointConfig(configSpec());
      const before = await readState();

      const again = await hosting.createEndpointConfig(configSpec());

      assert.deepEqual(again, { alreadyExisted: true });
      assert.deepEqual(await readState(), before);
    });

    it('when another spec is created under the same name, then Conflict and the stored one stays', async () => {
      await hosting.createModel(MODEL);
      await hosting.createEndpointConfig(configSpec());
      const other = configSpec({ variants: [{ variantName: 'AllTraffic', modelName: MODEL.modelName, instanceType: 'local', instanceCount: 3 }] });

      await assert.rejects(hosting.createEndpointConfig(other), isHostingError('Conflict', /already exists with other settings/));

      assert.equal((await readState()).endpointConfigs['used-cars-xgb-config-v3']?.variants[0]?.instanceCount, 2);
    });
  });

  describe('createEndpoint and updateEndpoint', () => {
    it('when an endpoint is created, then it is Creating, wants its config, and has no instance or traffic yet (its weight is still to apply)', async () => {
      await endpointOn();

      const record = (await readState()).endpoints['used-cars-xgb']!;
      assert.equal(record.status, 'Creating');
      assert.equal(record.desiredConfigName, 'used-cars-xgb-config-v3');
      assert.equal(record.endpointConfigName, 'used-cars-xgb-config-v3');
      assert.deepEqual(record.variants, [{ variantName: 'AllTraffic', modelName: MODEL.modelName, currentInstanceCount: 0, desiredInstanceCount: 2, currentWeight: 0, desiredWeight: 1 }]);
      assert.equal(record.creationTime, record.lastModifiedTime);
    });

    it('when the config does not exist, then create and update fail with NotFound', async () => {
      await assert.rejects(hosting.createEndpoint('used-cars-xgb', 'no-such-config'), isHostingError('NotFound', /no endpoint config named no-such-config/));
      await endpointOn();
      await assert.rejects(hosting.updateEndpoint('used-cars-xgb', 'no-such-config'), isHostingError('NotFound', /no endpoint config named no-such-config/));
    });

    it('when an endpoint is created twice, then the second is a Conflict', async () => {
      await endpointOn();

      await assert.rejects(hosting.createEndpoint('used-cars-xgb', 'used-cars-xgb-config-v3'), isHostingError('Conflict', /endpoint used-cars-xgb already exists/));
    });

    it('when an unknown endpoint is updated, then NotFound and nothing is created', async () => {
      await hosting.createModel(MODEL);
      await hosting.createEndpointConfig(configSpec());

      await assert.rejects(hosting.updateEndpoint('used-cars-xgb', 'used-cars-xgb-config-v3'), isHostingError('NotFound', /no endpoint named used-cars-xgb/));

      assert.deepEqual((await readState()).endpoints, {});
    });

    it('when an endpoint is updated to another config, then it is Updating towards it and still reports the old one', async () => {
      await endpointOn('config-v3');
      await hosting.createEndpointConfig(configSpec({ endpointConfigName: 'config-v4' }));
      const created = (await readState()).endpoints['used-cars-xgb']!;

      await hosting.updateEndpoint('used-cars-xgb', 'config-v4');

      const updated = (await readState()).endpoints['used-cars-xgb']!;
      assert.equal(updated.status, 'Updating');
      assert.equal(updated.desiredConfigName, 'config-v4');
      assert.equal(updated.endpointConfigName, 'config-v3');
      assert.equal(updated.creationTime, created.creationTime);
    });

    it('when an endpoint is updated to the config it already wants and is not Failed, then nothing changes', async () => {
      await endpointOn();
      await hostingState(file).update((doc) => {
        doc.endpoints['used-cars-xgb']!.status = 'InService';
      });
      const before = (await readState()).endpoints['used-cars-xgb'];

      await hosting.updateEndpoint('used-cars-xgb', 'used-cars-xgb-config-v3');

      assert.deepEqual((await readState()).endpoints['used-cars-xgb'], before);
    });

    it('when a Failed endpoint is updated to the same config, then it is Updating again (a retry)', async () => {
      await endpointOn();
      await hostingState(file).update((doc) => {
        doc.endpoints['used-cars-xgb']!.status = 'Failed';
        doc.endpoints['used-cars-xgb']!.failureReason = 'model server exited';
      });

      await hosting.updateEndpoint('used-cars-xgb', 'used-cars-xgb-config-v3');

      const record = (await readState()).endpoints['used-cars-xgb']!;
      assert.equal(record.status, 'Updating');
      assert.equal(record.desiredConfigName, 'used-cars-xgb-config-v3');
    });
  });

  describe('describeEndpoint and listEndpoints', () => {
    it('when endpoints exist, then describe and list show them without the internal desiredConfigName', async () => {
      await endpointOn();

      const described = await hosting.describeEndpoint('used-cars-xgb');
      const listed = await hosting.listEndpoints();

      assert.ok(described);
      assert.equal('desiredConfigName' in described, false);
      assert.equal(described.status, 'Creating');
      assert.equal(described.endpointConfigName, 'used-cars-xgb-config-v3');
      assert.deepEqual(listed, [described]);
    });

    it('when the endpoint does not exist, then describe returns undefined and list is empty', async () => {
      assert.equal(await hosting.describeEndpoint('nothing'), undefined);
      assert.deepEqual(await hosting.listEndpoints(), []);
    });
  });

  describe('nudging the endpoint host', () => {
    const realFetch = globalThis.fetch;

    afterEach(() => {
      globalThis.fetch = realFetch;
    });

    it('when no endpoint host URL is configured, then creating and updating make no network call', async () => {
      const calls: unknown[] = [];
      globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
        calls.push(args[0]);
        return realFetch(...args);
      }) as typeof fetch;

      await endpointOn('config-v3');
      await hosting.createEndpointConfig(configSpec({ endpointConfigName: 'config-v4' }));
      await hosting.updateEndpoint('used-cars-xgb', 'config-v4');

      assert.deepEqual(calls, []);
    });

    it('when an endpoint host URL is configured, then each change posts /admin/reconcile to it', async () => {
      const received: string[] = [];
      const server = http.createServer((req, res) => {
        received.push(`${req.method} ${req.url}`);
        res.writeHead(202).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        hosting = new LocalModelHosting(file, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);

        await endpointOn('config-v3');
        await hosting.createEndpointConfig(configSpec({ endpointConfigName: 'config-v4' }));
        await hosting.updateEndpoint('used-cars-xgb', 'config-v4');

        assert.deepEqual(received, ['POST /admin/reconcile', 'POST /admin/reconcile']);
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    it('when the endpoint host is down, then the change is still recorded (the host polls the document)', async () => {
      hosting = new LocalModelHosting(file, await refusedUrl());

      await endpointOn();

      assert.equal((await readState()).endpoints['used-cars-xgb']?.status, 'Creating');
    });
  });
});
