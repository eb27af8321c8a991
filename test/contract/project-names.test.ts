import assert from 'node:assert/strict';
import { ListModelPackageGroupsCommand } from '@aws-sdk/client-sagemaker';
import type { AwsModelRegistry } from '../../activities/backends/aws/model-registry';
import { readChampion, writeChampion } from '../../activities/registry/champion-store';
import { parameterNames } from '../../common/artifacts';
import { endpointName, lifecycleWorkflowId, SAGEMAKER_NAME_PATTERN, sagemakerName, trainingWorkflowId } from '../../common/ids';
import { endpointNamePrefix, modelKey, projectUri } from '../../common/project';
import { createMotoBackend, startMoto, type MotoServer } from '../helpers/moto';

/**
 * Issue 15: every name a project's runs create carries the project, the demo project's names stay
 * what they were, and the aws names keep SageMaker's rules (63 characters, letters, digits and
 * inner hyphens), checked against moto's SageMaker.
 */
describe('project names', () => {
  describe('pure names', () => {
    it('when the project is the demo one (or absent), then every name is the one it had before projects', () => {
      for (const project of [undefined, 'used-cars']) {
        assert.equal(modelKey(project, 'xgboost'), 'xgboost');
        assert.equal(parameterNames.championRecord('xgboost', project), '/mlops/xgboost/champion/record');
        assert.equal(parameterNames.latestModelName('xgboost', project), '/mlops/xgboost/latest/model-name');
        assert.equal(endpointName(endpointNamePrefix(project), 'xgboost'), 'mlops-xgboost');
        assert.equal(lifecycleWorkflowId('xgboost', project), 'lifecycle/xgboost');
        assert.equal(projectUri('s3://mlops/capture', project), 's3://mlops/capture');
        assert.equal(trainingWorkflowId({ bucket: 'mlops', key: 'training/cars.csv', version: 'e1' }, undefined, project), 'training/mlops/training/cars.csv@e1');
      }
    });

    it('when the project is another one, then parameters, endpoints, lifecycle ids, prefixes and workflow ids carry it', () => {
      assert.equal(parameterNames.championRecord('hgb', 'penguins'), '/mlops/penguins/hgb/champion/record');
      assert.equal(parameterNames.champion('hgb', 'endpoint-name', 'penguins'), '/mlops/penguins/hgb/champion/endpoint-name');
      assert.equal(endpointName(endpointNamePrefix('penguins'), 'hgb'), 'mlops-penguins-hgb');
      assert.equal(lifecycleWorkflowId('hgb', 'penguins'), 'lifecycle/penguins/hgb');
      assert.equal(projectUri('s3://mlops/capture', 'penguins'), 's3://mlops/projects/penguins/capture');
      assert.equal(trainingWorkflowId({ bucket: 'mlops', key: 'training/cars.csv', version: 'e1' }, undefined, 'penguins'), 'training/penguins:mlops/training/cars.csv@e1');
    });

    it('when a name is longer than SageMaker allows, then it is cut to 63 characters ending in a hash of the whole, and two long names sharing a head stay apart', () => {
      const project = 'a-very-long-project-name';
      const family = 'an-algorithm-name-of-32-chars-xx';
      const one = endpointName(endpointNamePrefix(project), family);
      const two = endpointName(endpointNamePrefix(project), `${family.slice(0, -1)}y`);
      for (const name of [one, two]) {
        assert.ok(name.length <= 63, `${name} has ${name.length} characters`);
        assert.match(name, SAGEMAKER_NAME_PATTERN);
        assert.ok(name.startsWith('mlops-a-very-long-project-name-'), name);
      }
      assert.notEqual(one, two);
      // Names that fit are unchanged.
      assert.equal(sagemakerName(['mlops', 'penguins', 'hgb']), 'mlops-penguins-hgb');
    });
  });

  describe('on moto (SageMaker model package groups, SSM parameters)', function () {
    this.timeout(60_000);
    let moto: MotoServer;

    before(async () => {
      moto = await startMoto();
    });

    beforeEach(async () => {
      await moto.reset();
    });

    it("when a project's bring-your-own version is registered, then it lands in its own group under SageMaker's rules, with its image, and the demo's listing does not see it", async () => {
      const { backend, settings } = await createMotoBackend(moto);
      const registry = backend.registry as AwsModelRegistry;
      const byo = { kind: 'byo' as const, name: 'hgb', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/hgb:1', acceptsMissing: true };
      const common = { modelName: 'm-hgb', artifactUri: 's3://mlops/m/model.tar.gz', workflowId: 'w', runId: 'r', featureSchemaUri: 's3://mlops/f.json', hyperparameters: {}, dataUri: 's3://mlops/d.csv' };
      const version = await registry.registerVersion({ family: 'hgb', project: 'penguins', algorithm: byo, trainingJobName: 'train-hgb', ...common });
      await registry.registerVersion({ family: 'xgboost', trainingJobName: 'train-xgb', ...common, modelName: 'm-xgb' });
      assert.equal(registry.groupName('hgb', 'penguins'), 'mlops-penguins-hgb');
      assert.equal(version.project, 'penguins');
      assert.deepEqual((await registry.listVersions(undefined, 'penguins')).map((v) => [v.family, v.project, v.algorithm?.kind]), [['hgb', 'penguins', 'byo']]);
      assert.deepEqual((await registry.listVersions()).map((v) => [v.family, v.project]), [['xgboost', undefined]]);
      const { ModelPackageGroupSummaryList: groups = [] } = await settings.clients.sagemaker.send(new ListModelPackageGroupsCommand({}));
      assert.deepEqual(groups.map((g) => g.ModelPackageGroupName).sort(), ['mlops-penguins-hgb', 'mlops-xgboost']);

      // A group name longer than 63 characters is shortened, and SageMaker (moto) accepts it.
      const long = await registry.registerVersion({ family: 'an-algorithm-name-of-32-chars-xx', project: 'a-very-long-project-name', algorithm: { ...byo, name: 'an-algorithm-name-of-32-chars-xx' }, trainingJobName: 'train-long', ...common });
      assert.ok(registry.groupName(long.family, 'a-very-long-project-name').length <= 63);
    });

    it("when champions of two projects are exported to SSM, then each is read back from its own path only", async () => {
      const { backend } = await createMotoBackend(moto);
      const champion = (project: string | undefined, modelName: string) => ({
        family: 'xgboost',
        ...(project ? { project } : {}),
        modelName,
        modelVersion: 1,
        modelArtifactUri: 's3://mlops/m/model.tar.gz',
        featureSchemaUri: 's3://mlops/f.json',
        trainingDataUri: 's3://mlops/d.csv',
      });
      const written = await writeChampion(backend.parameters, champion('penguins', 'penguins-model'));
      await writeChampion(backend.parameters, champion(undefined, 'cars-model'));
      assert.ok(written.every((n) => n.startsWith('/mlops/penguins/xgboost/champion/')), written.join(','));
      assert.equal((await readChampion(backend.parameters, 'xgboost', 'penguins'))?.modelName, 'penguins-model');
      assert.equal((await readChampion(backend.parameters, 'xgboost'))?.modelName, 'cars-model');
      assert.equal(await readChampion(backend.parameters, 'xgboost', 'houses'), undefined);
    });
  });
});
