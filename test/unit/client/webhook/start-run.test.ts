import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import type { Backend } from '../../../../activities/backends/types';
import { parseConfig, REPO_ROOT } from '../../../../common/config/parse';
import type { ObjectCreatedEvent } from '../../../../client/webhook/event-schemas';
import { defaultRoutes } from '../../../../client/webhook/routes';
import { createTemporalStarter, DEFAULT_PIPELINE_STARTERS, objectVersionOf, PipelineNotAvailableError, startScoringForEvent, startTrainingForEvent, type PipelineStartFunction, type TemporalStarterDeps } from '../../../../client/webhook/start-run';

const EVENT: ObjectCreatedEvent = { source: 's3', bucket: 'mlops', key: 'training/cars.csv', eventName: 'ObjectCreated:Put', etag: 'e1', sequencer: '00AB' };

describe('client/webhook/start-run', () => {
  let connection: Connection;
  let client: Client;

  before(() => {
    // Lazy: nothing connects unless a request is made, and these tests make none.
    connection = Connection.lazy({ address: '127.0.0.1:1' });
    client = new Client({ connection, namespace: 'ns' });
  });

  after(async () => {
    await connection.close();
  });

  describe('objectVersionOf', () => {
    it('when an event carries an ETag, a versionId and a sequencer, then the ETag wins (what a HEAD by the CLI reads), then the versionId, then the sequencer', () => {
      assert.equal(objectVersionOf({ versionId: 'v1', etag: 'e1', sequencer: 's1' }), 'e1');
      assert.equal(objectVersionOf({ versionId: 'v1', sequencer: 's1' }), 'v1');
      assert.equal(objectVersionOf({ sequencer: 's1' }), 's1');
      assert.equal(objectVersionOf({ versionId: '', etag: '', sequencer: 's1' }), 's1', 'empty strings do not count');
      assert.equal(objectVersionOf({}), undefined);
    });
  });

  describe('createTemporalStarter', () => {
    const config = parseConfig({}, REPO_ROOT);
    const backend = {} as Backend;
    const [trainingRoute, scoringRoute] = defaultRoutes('mlops');

    it('when a route names a pipeline, then that pipeline\'s function gets the event, the backend, the config and a client on the same namespace', async () => {
      const seen: { deps: TemporalStarterDeps; route: string; key: string }[] = [];
      const training: PipelineStartFunction = async (deps, route, event) => {
        seen.push({ deps, route: route.name, key: event.key });
        return { workflowId: `training/${event.bucket}/${event.key}@x`, started: true };
      };

      const starter = createTemporalStarter({ client, backend, config, starters: { training } });
      const result = await starter(trainingRoute!, EVENT);

      assert.deepEqual(result, { workflowId: 'training/mlops/training/cars.csv@x', started: true });
      assert.equal(seen[0]?.route, 'training-data');
      assert.equal(seen[0]?.deps.backend, backend);
      assert.equal(seen[0]?.deps.config, config);
      assert.equal(seen[0]?.deps.client.options.namespace, 'ns');
      assert.equal(seen[0]?.deps.client.connection, connection);
    });

    it('when the default starters are used, then training and scoring routes start their own pipelines', () => {
      assert.equal(scoringRoute?.pipeline, 'scoring');
      assert.equal(DEFAULT_PIPELINE_STARTERS.training, startTrainingForEvent);
      assert.equal(DEFAULT_PIPELINE_STARTERS.scoring, startScoringForEvent);
    });

    it('when no function is given for a pipeline, then it is not available', async () => {
      const starter = createTemporalStarter({ client, backend, config, starters: {} });

      await assert.rejects(starter(trainingRoute!, EVENT), PipelineNotAvailableError);
    });
  });
});
