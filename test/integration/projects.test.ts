import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createBackend } from '../../activities/backends';
import type { Backend } from '../../activities/backends/types';
import { readChampion } from '../../activities/registry/champion-store';
import { parameterNames } from '../../common/artifacts';
import { stackPorts, type Config } from '../../common/config/schema';
import { waitForTrainingReport } from '../../client/training/report';
import { startScoring } from '../../services/scoring/start-scoring';
import { requestCombiner } from '../../client/gateway/combiners';
import { projectLookup } from '../../client/gateway/projects';
import { buildGatewayServer } from '../../client/gateway/server';
import { startTraining } from '../../services/training/start-training';
import { createLocalEnv } from '../helpers/temporal-env';
import { runWorkers, type RunningWorkers } from '../helpers/workers';
import { freePortBase, startEndpointHost, tempDir, testConfig } from '../helpers/integration';
import { runInProcess, TestCliContext } from '../helpers/cli-in-process';

/**
 * A second project on the stack, for real: the penguins project (string categoricals, missing
 * values, three algorithms, one of them the bring-your-own HistGradientBoostingRegressor run as a
 * process under the SageMaker container contract) trained, deployed, served and batch-scored on
 * a dev server with the local backend, under names of its own.
 */
describe('projects (integration: the penguins project on a dev server, local backend, real jobs)', function () {
  this.timeout(240_000);
  let env: TestWorkflowEnvironment;
  let home: string;
  let config: Config;
  let backend: Backend;
  let workers: RunningWorkers | undefined;
  let endpointHost: Awaited<ReturnType<typeof startEndpointHost>> | undefined;

  before(async () => {
    env = await createLocalEnv();
    home = await tempDir('projects');
    config = testConfig({ home, portBase: await freePortBase() });
    endpointHost = await startEndpointHost(config);
    backend = createBackend(config);
    workers = await runWorkers(env, config, backend);
  });

  after(async () => {
    await workers?.stop();
    await endpointHost?.stop();
    await env?.teardown();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  it('when the penguins project is trained, then its three models (one brought by the team) are accepted, registered, exported, deployed and served under its own names, and a batch scores its raw file', async () => {
    const started = await startTraining(env.client, backend, config, { project: 'penguins', trigger: 'test' });
    assert.match(started.workflowId, /^training\/penguins:mlops\/training\/penguins\/penguins\.csv@/);
    const report = await waitForTrainingReport(started.handle, (runId) => runId);
    assert.equal(report.status, 'completed', JSON.stringify(report.error));
    const byFamily = new Map(report.models.map((m) => [m.family, m]));
    assert.deepEqual([...byFamily.keys()].sort(), ['hgb', 'linear-learner', 'xgboost']);
    for (const [family, m] of byFamily) {
      assert.equal(m.decision.outcome, 'accepted', `${family}: ${m.decision.reason}`);
      // Body mass spreads ~800 g around its mean; every model must do far better than the mean.
      assert.ok(m.metrics!.test!.rmse < 450, `${family} test RMSE ${m.metrics!.test!.rmse}`);
      assert.equal((await readChampion(backend.parameters, family, 'penguins'))?.endpointName, `mlops-penguins-${family}`);
    }

    // The registry and the parameter store: the project's own groups and keys; the demo's stay empty.
    const versions = await backend.registry.listVersions(undefined, 'penguins');
    assert.deepEqual(versions.map((v) => [v.family, v.project]).sort(), [['hgb', 'penguins'], ['linear-learner', 'penguins'], ['xgboost', 'penguins']]);
    assert.deepEqual(await backend.registry.listVersions(), []);
    assert.equal(await readChampion(backend.parameters, 'xgboost'), undefined);
    const hgb = await readChampion(backend.parameters, 'hgb', 'penguins');
    assert.equal(hgb?.algorithm?.kind, 'byo');
    assert.equal(hgb?.endpointName, 'mlops-penguins-hgb');
    assert.ok((await backend.parameters.getByPath('/mlops/penguins/hgb/champion/')).some((p) => p.name === parameterNames.championRecord('hgb', 'penguins')));

    // The feature schema speaks the raw columns and the encoded features (species=Adelie, ...).
    const featureSchema = JSON.parse((await backend.objectStore.get(hgb!.featureSchemaUri)).toString()) as { features: { name: string }[]; rawFeatures: string[] };
    assert.deepEqual(featureSchema.rawFeatures, ['species', 'island', 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'sex', 'year']);
    const names = featureSchema.features.map((f) => f.name);
    assert.ok(names.includes('species=Gentoo') && names.includes('sex=male'), names.join(','));

    // Served for real: each endpoint (the bring-your-own one by its own serving process) answers an encoded Gentoo male.
    const gentooMale: Record<string, number> = { 'species=Gentoo': 1, 'island=Biscoe': 1, bill_length_mm: 50, bill_depth_mm: 15.5, flipper_length_mm: 222, 'sex=male': 1, year: 2008 };
    const row = names.map((n) => gentooMale[n] ?? 0).join(',');
    for (const family of byFamily.keys()) {
      const response = await fetch(`http://127.0.0.1:${stackPorts(config.portBase).endpointHost}/endpoints/mlops-penguins-${family}/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: row });
      const text = await response.text();
      assert.equal(response.status, 200, `${family}: ${text}`);
      const grams = Number(text.trim().split('\n')[0]);
      // Gentoo males weigh 5-6 kg.
      assert.ok(grams > 4800 && grams < 6500, `${family} predicted ${grams} g`);
    }

    // The gateway: raw records of the project (categories as text, a missing sex imputed) to its three endpoints.
    const { app, close } = buildGatewayServer({
      backend,
      runtimeUrl: `http://127.0.0.1:${stackPorts(config.portBase).endpointHost}`,
      timeoutMs: 10_000,
      endpointConcurrency: 4,
      bulkConcurrency: 4,
      onPartial: 'fail',
      defaultCombiner: requestCombiner('mean'),
      groundTruthUri: config.groundTruthUri,
      maxBodyBytes: 64 * 1024,
      maxRecords: 10,
      projects: projectLookup(config.projectsDir),
    });
    try {
      const post = (path: string, body: unknown) => app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      const record = { species: 'Gentoo', island: 'Biscoe', bill_length_mm: 50, bill_depth_mm: 15.5, flipper_length_mm: 222, sex: 'male', year: 2008 };
      const answered = await post('/v1/projects/penguins/predict', [record, { ...record, sex: 'NA' }]);
      assert.equal(answered.statusCode, 200, answered.body);
      const body = answered.json<{ predictions: { prediction: number; models: Record<string, number> }[] }>();
      assert.deepEqual(Object.keys(body.predictions[0]!.models).sort(), ['hgb', 'linear-learner', 'xgboost']);
      assert.ok(body.predictions[0]!.prediction > 4800 && body.predictions[0]!.prediction < 6500, JSON.stringify(body));
      // A missing sex is imputed with the training split's mode (female): a lighter penguin.
      assert.ok(body.predictions[1]!.prediction < body.predictions[0]!.prediction, JSON.stringify(body));

      const unseen = await post('/v1/projects/penguins/predict', [record, { ...record, species: 'Emperor' }]);
      assert.equal(unseen.statusCode, 400);
      assert.match(unseen.json<{ message: string }>().message, /^record 1, field 'species': value 'Emperor' is not one of the levels \{Adelie, Chinstrap, Gentoo\}/);
      const unknown = await post('/v1/projects/houses/predict', record);
      assert.equal(unknown.statusCode, 404);
      assert.match(unknown.json<{ message: string }>().message, /no project named 'houses'/);
      // The demo's route is not the project's: nothing of the demo is deployed on this stack.
      assert.equal((await post('/v1/predict', record)).statusCode, 503);

      // The CLI with --project against this stack: the registry, lifecycle, endpoints and gateway of the project.
      await app.listen({ host: '127.0.0.1', port: Number(new URL(config.gatewayUrl).port) });
      const cli = new TestCliContext(config, env.client);
      // `models policy` starts the project's own lifecycle (lifecycle/penguins/hgb); `models show` reads it back.
      const policy = await runInProcess(cli, 'models', 'policy', 'hgb', '--project', 'penguins', '--cool-down', '2 hours', '--by', 'test', '--json');
      assert.equal(policy.code, 0, policy.stderr);
      assert.equal((JSON.parse(policy.stdout) as { project: string }).project, 'penguins');
      assert.equal((await env.client.workflow.getHandle('lifecycle/penguins/hgb').describe()).status.name, 'RUNNING');
      const shown = await runInProcess(cli, 'models', 'show', 'hgb', '--project', 'penguins', '--json');
      assert.equal(shown.code, 0, shown.stderr);
      const hgbShown = JSON.parse(shown.stdout) as { project: string; championVersion: number; versions: { version: number }[]; lifecycle: { family: string; coolDown?: string } | null };
      assert.deepEqual([hgbShown.project, hgbShown.championVersion, hgbShown.versions.map((v) => v.version)], ['penguins', 1, [1]]);
      assert.deepEqual([hgbShown.lifecycle?.family, hgbShown.lifecycle?.coolDown], ['hgb', '2 hours']);
      assert.equal((await runInProcess(cli, 'models', 'show', 'hgb', '--json')).code, 2, "hgb is not a family of the demo project");
      const listed = await runInProcess(cli, 'endpoints', 'list', '--project', 'penguins', '--json');
      assert.equal(listed.code, 0, listed.stderr);
      const endpoints = (JSON.parse(listed.stdout) as { endpoints: { endpointName: string; modelVersion: string | null; status: string }[] }).endpoints;
      assert.deepEqual(endpoints.map((e) => [e.endpointName, e.modelVersion, e.status]).sort(), [
        ['mlops-penguins-hgb', 'hgb v1', 'InService'],
        ['mlops-penguins-linear-learner', 'linear-learner v1', 'InService'],
        ['mlops-penguins-xgboost', 'xgboost v1', 'InService'],
      ]);
      const recordsFile = `${home}/penguin-records.json`;
      await fs.writeFile(recordsFile, JSON.stringify([record]));
      const predicted = await runInProcess(cli, 'predict', recordsFile, '--project', 'penguins', '--json');
      assert.equal(predicted.code, 0, predicted.stderr);
      const cliAnswer = JSON.parse(predicted.stdout) as { predictions: { prediction: number; models: Record<string, number> }[] };
      assert.deepEqual(Object.keys(cliAnswer.predictions[0]!.models).sort(), ['hgb', 'linear-learner', 'xgboost']);
      assert.equal(cliAnswer.predictions[0]!.prediction, body.predictions[0]!.prediction, 'the CLI reaches the same route as the request above');
      const demoPredict = await runInProcess(cli, 'predict', recordsFile, '--json');
      assert.equal(demoPredict.code, 1, 'without --project the demo route answers 503: nothing of the demo is deployed');
    } finally {
      await close();
    }

    // Batch scoring of the project's raw file (categoricals and missing values), with its champions.
    const scoring = await startScoring(env.client, backend, config, { data: `s3://${config.bucket}/training/penguins/penguins.csv`, project: 'penguins', trigger: 'test' });
    const scored = await scoring.handle.result();
    assert.deepEqual(scored.outputs.map((o) => o.family).sort(), ['hgb', 'linear-learner', 'xgboost']);
    for (const o of scored.outputs) {
      assert.match(o.outputUris[0]!, new RegExp(`^s3://${config.bucket}/projects/penguins/scored/`));
      const lines = (await backend.objectStore.get(o.outputUris[0]!)).toString().trim().split('\n');
      assert.ok(lines.length >= 340, `${o.family}: ${lines.length} lines`);
    }
  });
});
