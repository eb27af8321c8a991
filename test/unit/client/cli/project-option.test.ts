import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Backend, EndpointDescription, Parameter, ParameterStore } from '../../../../activities/backends/types';
import type { DeliveredNotification } from '../../../../common/types/notification';
import { writeChampion } from '../../../../activities/registry/champion-store';
import { parseConfig, REPO_ROOT } from '../../../../common/config/parse';
import type { Config } from '../../../../common/config/schema';
import type { PendingApproval } from '../../../../common/types/approval';
import type { LifecycleState } from '../../../../common/types/lifecycle';
import type { ModelVersion } from '../../../../common/types/model';
import type { RollbackInput } from '../../../../common/types/rollback';
import { decideApprovalUpdate, pendingApprovalsQuery } from '../../../../workflows/training/approval';
import { configureLifecycleUpdate, decideRetrainingUpdate, lifecycleStateQuery } from '../../../../workflows/lifecycle/lifecycle.messages';
import { runInProcess, TestCliContext } from '../../../helpers/cli-in-process';
import { fakeClient, type FakeRun } from '../../../helpers/fake-temporal-client';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

/** The repository's projects: the demo (used-cars) and penguins (xgboost, linear-learner, hgb). */
const PROJECTS_DIR = path.join(REPO_ROOT, 'projects');

function version(family: string, v: number, project?: string): ModelVersion {
  return {
    family,
    ...(project ? { project } : {}),
    version: v,
    modelName: `${project ? `${project}-` : ''}${family}-${v}`,
    artifactUri: `s3://mlops/models/${family}/${v}/model.tar.gz`,
    trainingJobName: `train-${family}-${v}`,
    workflowId: 'training/x',
    runId: 'r',
    featureSchemaUri: 's3://mlops/schema.json',
    hyperparameters: {},
    status: 'Approved',
    createdAt: '2026-03-02T10:00:00.000Z',
    updatedAt: '2026-03-02T10:00:00.000Z',
  };
}

function lifecycleState(family: string, project?: string): LifecycleState {
  return {
    family,
    ...(project ? { project } : {}),
    policy: 'notify',
    coolDown: '24 hours',
    recentAlerts: [],
    counts: { alerts: 0, championChanges: 1, retrainingsStarted: 0, retrainingFailures: 0, notifiedOnly: 0, suppressedByCoolDown: 0, approvalsRequested: 0, approved: 0, rejected: 0, approvalTimeouts: 0 },
  };
}

function endpoint(name: string, modelName: string): EndpointDescription {
  return {
    endpointName: name,
    endpointConfigName: `${name}-config`,
    status: 'InService',
    variants: [{ variantName: modelName, modelName, currentInstanceCount: 1, desiredInstanceCount: 1, currentWeight: 1, desiredWeight: 1 }] as EndpointDescription['variants'],
    creationTime: '2026-03-02T10:00:00.000Z',
    lastModifiedTime: '2026-03-02T10:00:00.000Z',
  };
}

/** An in-memory parameter store (the champion records `models show` and `rollback` read). */
function memoryParameters(): ParameterStore {
  const values = new Map<string, string>();
  const param = (name: string): Parameter => ({ name, value: values.get(name)!, version: 1, lastModified: '2026-03-02T10:00:00.000Z' });
  return {
    put: (name, value) => Promise.resolve((values.set(name, value), param(name))),
    get: (name) => Promise.resolve(values.has(name) ? param(name) : undefined),
    getByPath: (prefix) => Promise.resolve([...values.keys()].filter((k) => k.startsWith(prefix)).map(param)),
  };
}

/** The parts of a backend these commands read: the registry, parameters, endpoints and the outbox. */
function fakeBackend(state: { versions: ModelVersion[]; endpoints?: EndpointDescription[]; notifications?: DeliveredNotification[] }, parameters = memoryParameters()): Backend {
  return {
    parameters,
    registry: {
      listVersions: (family?: string, project?: string) =>
        Promise.resolve(state.versions.filter((v) => (family === undefined || v.family === family) && (v.project ?? 'used-cars') === (project ?? 'used-cars'))),
    },
    hosting: { listEndpoints: () => Promise.resolve(state.endpoints ?? []) },
    notifier: { recent: (limit: number) => Promise.resolve((state.notifications ?? []).slice(-limit)) },
  } as unknown as Backend;
}

/** A CLI context over the repository's projects, a fake client and a fake backend. */
class ProjectCliContext extends TestCliContext {
  constructor(
    config: Config,
    client: Client,
    private readonly fake: Backend,
  ) {
    super(config, client);
  }

  override get backend(): Backend {
    return this.fake;
  }
}

describe('client/cli --project on every command that addresses a project', () => {
  let tmp: string;
  let config: Config;

  beforeEach(async () => {
    tmp = await createTempDir('mlops-project-option-');
    config = parseConfig({ MLOPS_HOME: path.join(tmp, 'home'), MLOPS_PROJECTS_DIR: PROJECTS_DIR }, tmp);
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  function context(runs: FakeRun[], backend: Backend, onStart?: Parameters<typeof fakeClient>[1]) {
    const client = fakeClient(runs, onStart);
    return { client, ctx: new ProjectCliContext(config, client, backend) };
  }

  /** Exit 2, one line that names the rule, and nothing asked of the stack. */
  function assertRefused(result: { code: number; stdout: string; stderr: string }, rule: RegExp): void {
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, rule);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.equal(result.stdout, '');
  }

  describe('models show', () => {
    it("when --project penguins names its bring-your-own family, then it shows that project's versions, champion and lifecycle", async () => {
      const parameters = memoryParameters();
      await writeChampion(parameters, { family: 'hgb', project: 'penguins', modelName: 'penguins-hgb-2', modelVersion: 2, modelArtifactUri: 's3://m/a', featureSchemaUri: 's3://m/s' });
      const { ctx } = context(
        [{ type: 'modelLifecycle', workflowId: 'lifecycle/penguins/hgb', status: 'RUNNING', queries: { [lifecycleStateQuery.name]: lifecycleState('hgb', 'penguins') } }],
        fakeBackend({ versions: [version('hgb', 1, 'penguins'), version('hgb', 2, 'penguins'), version('xgboost', 7)] }, parameters),
      );
      const json = await runInProcess(ctx, 'models', 'show', 'hgb', '--project', 'penguins', '--json');
      assert.equal(json.code, 0, json.stderr);
      const shown = JSON.parse(json.stdout) as { family: string; project: string; championVersion: number; versions: ModelVersion[]; lifecycle: LifecycleState };
      assert.equal(shown.project, 'penguins');
      assert.equal(shown.championVersion, 2);
      assert.deepEqual(shown.versions.map((v) => v.version), [1, 2]);
      assert.equal(shown.lifecycle.family, 'hgb');

      const text = await runInProcess(ctx, 'models', 'show', 'hgb', '--project', 'penguins');
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^penguins\/hgb: 2 version\(s\), champion version 2/);
    });

    it("when the lifecycle of the project's family does not run, then the text names its project-scoped workflow id", async () => {
      const { ctx } = context([], fakeBackend({ versions: [] }));
      const text = await runInProcess(ctx, 'models', 'show', 'xgboost', '--project', 'penguins');
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /lifecycle: not running \(workflow lifecycle\/penguins\/xgboost\)/);
    });

    it('when no --project is given, then the family is the demo project\'s and its output is as before projects', async () => {
      const { ctx } = context([], fakeBackend({ versions: [version('xgboost', 1), version('xgboost', 3, 'penguins')] }));
      const text = await runInProcess(ctx, 'models', 'show', 'xgboost');
      assert.equal(text.code, 0, text.stderr);
      assert.equal(text.stdout.split('\n')[0], 'xgboost: 1 version(s), no champion');
      assert.match(text.stdout, /lifecycle: not running \(workflow lifecycle\/xgboost\)/);
      const json = JSON.parse((await runInProcess(ctx, 'models', 'show', 'xgboost', '--json')).stdout) as Record<string, unknown>;
      assert.deepEqual(Object.keys(json), ['family', 'championVersion', 'versions', 'lifecycle']);
    });

    it('when the project is unknown, or the family is not one of its algorithms, then it exits 2 naming the rule', async () => {
      const { ctx } = context([], fakeBackend({ versions: [] }));
      assertRefused(await runInProcess(ctx, 'models', 'show', 'xgboost', '--project', 'houses'), /unknown project 'houses' \(projects in .*: penguins, used-cars; create one with mlops project init\)/);
      assertRefused(await runInProcess(ctx, 'models', 'show', 'xgboost', '--project', 'Bad_Name'), /--project: 'Bad_Name' must be 2-24 lower-case letters/);
      assertRefused(await runInProcess(ctx, 'models', 'show', 'forest', '--project', 'penguins'), /unknown model family 'forest' of project penguins \(known: xgboost, linear-learner, hgb\)/);
      assertRefused(await runInProcess(ctx, 'models', 'show', 'hgb'), /unknown model family 'hgb' \(known: xgboost, linear-learner\)/);
    });
  });

  describe('models policy', () => {
    it("when --project penguins is given, then the project's lifecycle of the family is configured (started with the project in its input)", async () => {
      const { ctx, client } = context([], fakeBackend({ versions: [] }), (workflowId, options) => ({
        type: 'modelLifecycle',
        workflowId,
        status: 'RUNNING',
        updates: { [configureLifecycleUpdate.name]: () => ({ ...lifecycleState('hgb', 'penguins'), policy: 'retrain' }) },
        memo: { args: options.args },
      }));
      const result = await runInProcess(ctx, 'models', 'policy', 'hgb', '--project', 'penguins', '--policy', 'retrain', '--by', 'ana', '--json');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(client.started[0]?.workflowId, 'lifecycle/penguins/hgb');
      assert.equal((client.started[0]?.options.args as { project?: string }[])[0]?.project, 'penguins');
      assert.deepEqual(client.updates.map((u) => [u.workflowId, (u.args[0] as { policy: string }).policy]), [['lifecycle/penguins/hgb', 'retrain']]);
      assert.deepEqual(JSON.parse(result.stdout).project, 'penguins');
    });
  });

  describe('models rollback', () => {
    it("when --project penguins is given, then the rollback reads the project's champion and starts with its project, ids and endpoint names", async () => {
      const parameters = memoryParameters();
      await writeChampion(parameters, { family: 'hgb', project: 'penguins', modelName: 'penguins-hgb-2', modelVersion: 2, modelArtifactUri: 's3://m/a', featureSchemaUri: 's3://m/s', endpointName: 'mlops-penguins-hgb' });
      const { ctx, client } = context([], fakeBackend({ versions: [] }, parameters), (workflowId) => ({ type: 'rollbackChampion', workflowId, status: 'RUNNING' }));
      const result = await runInProcess(ctx, 'models', 'rollback', 'hgb', '--project', 'penguins', '--to', '1', '--by', 'ana', '--reason', 'v2 drifts', '--no-wait', '--json');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).workflowId, 'rollback/penguins/hgb/from-v2/to-v1');
      const input = (client.started[0]?.options.args as RollbackInput[])[0]!;
      assert.equal(input.project, 'penguins');
      assert.equal(input.deployment?.endpointNamePrefix, 'mlops-penguins');
      assert.match(input.deployment?.dataCapture.destinationUri ?? '', /\/projects\/penguins\/capture$/);
    });

    it('when no --project is given, then the rollback input carries no project and keeps its id', async () => {
      const parameters = memoryParameters();
      await writeChampion(parameters, { family: 'xgboost', modelName: 'xgboost-4', modelVersion: 4, modelArtifactUri: 's3://m/a', featureSchemaUri: 's3://m/s', endpointName: 'mlops-xgboost' });
      const { ctx, client } = context([], fakeBackend({ versions: [] }, parameters), (workflowId) => ({ type: 'rollbackChampion', workflowId, status: 'RUNNING' }));
      const result = await runInProcess(ctx, 'models', 'rollback', 'xgboost', '--by', 'ana', '--reason', 'r', '--no-wait', '--json');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(client.started[0]?.workflowId, 'rollback/xgboost/from-v4/to-previous');
      const input = (client.started[0]?.options.args as RollbackInput[])[0]!;
      assert.equal('project' in input, false);
      assert.equal(input.deployment?.endpointNamePrefix, 'mlops');
    });
  });

  describe('retraining approve | reject', () => {
    it("when --project penguins is given, then the decision goes to the project's lifecycle", async () => {
      const { ctx, client } = context(
        [{ type: 'modelLifecycle', workflowId: 'lifecycle/penguins/hgb', status: 'RUNNING', updates: { [decideRetrainingUpdate.name]: () => ({ outcome: 'approved', by: 'ana', retrainingWorkflowId: 'training/penguins:x' }) } }],
        fakeBackend({ versions: [] }),
      );
      const result = await runInProcess(ctx, 'retraining', 'approve', 'hgb', '--project', 'penguins', '--by', 'ana', '--reason', 'drift');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'retraining of penguins/hgb approved by ana: training run training/penguins:x');
      assert.deepEqual(client.updates.map((u) => u.workflowId), ['lifecycle/penguins/hgb']);
    });

    it("when the project's lifecycle does not run, or the family is not the project's, then it exits 2 naming it", async () => {
      const { ctx } = context([], fakeBackend({ versions: [] }));
      assertRefused(await runInProcess(ctx, 'retraining', 'reject', 'hgb', '--project', 'penguins', '--by', 'ana', '--reason', 'no'), /the penguins\/hgb lifecycle is not running/);
      assertRefused(await runInProcess(ctx, 'retraining', 'reject', 'hgb', '--by', 'ana', '--reason', 'no'), /unknown model family 'hgb' \(known: xgboost, linear-learner\)/);
    });
  });

  describe('approvals, approve | reject', () => {
    const pending = (family: string): PendingApproval => ({
      family,
      version: 1,
      modelName: `${family}-1`,
      metrics: { validation: { rmse: 400, mae: 300, r2: 0.8 } },
      requestedAt: '2026-03-02T10:00:00.000Z',
      remindAt: '2026-03-03T10:00:00.000Z',
      deadline: '2026-03-05T10:00:00.000Z',
    });
    const runs = (): FakeRun[] => [
      { type: 'trainingPipeline', workflowId: 'training/mlops/training/cars.csv@e1', status: 'RUNNING', queries: { [pendingApprovalsQuery.name]: [pending('xgboost')] }, updates: { [decideApprovalUpdate.name]: () => ({ family: 'xgboost', version: 1, outcome: 'approved', by: 'ana' }) } },
      {
        type: 'trainingPipeline',
        workflowId: 'training/penguins:mlops/training/penguins/p.csv@e2',
        status: 'RUNNING',
        memo: { project: 'penguins' },
        queries: { [pendingApprovalsQuery.name]: [pending('hgb')] },
        updates: { [decideApprovalUpdate.name]: (arg: unknown) => ({ family: (arg as { family: string }).family, version: 1, outcome: 'approved', by: 'ana' }) },
      },
    ];

    it("when --project penguins is given, then only that project's waiting models are listed; without it, every project's as before", async () => {
      const { ctx } = context(runs(), fakeBackend({ versions: [] }));
      const one = await runInProcess(ctx, 'approvals', '--project', 'penguins', '--json');
      assert.equal(one.code, 0, one.stderr);
      assert.deepEqual((JSON.parse(one.stdout) as { approvals: { family: string }[] }).approvals.map((a) => a.family), ['hgb']);
      const demo = await runInProcess(ctx, 'approvals', '--project', 'used-cars', '--json');
      assert.deepEqual((JSON.parse(demo.stdout) as { approvals: { family: string }[] }).approvals.map((a) => a.family), ['xgboost']);
      const all = await runInProcess(ctx, 'approvals', '--json');
      assert.deepEqual((JSON.parse(all.stdout) as { approvals: { family: string }[] }).approvals.map((a) => a.family).sort(), ['hgb', 'xgboost']);
      const text = await runInProcess(ctx, 'approvals', '--project', 'penguins');
      assert.match(text.stdout, /mlops approve RUN --project penguins --model FAMILY/);
    });

    it("when approve names the project's family and its run, then the decision is sent; another project's run is refused with exit 2", async () => {
      const { ctx, client } = context(runs(), fakeBackend({ versions: [] }));
      const ok = await runInProcess(ctx, 'approve', 'training/penguins:mlops/training/penguins/p.csv@e2', '--project', 'penguins', '--model', 'hgb', '--by', 'ana', '--reason', 'fine');
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout.trim(), 'hgb version 1 approved by ana');
      assert.deepEqual(client.updates.map((u) => [u.workflowId, (u.args[0] as { family: string }).family]), [['training/penguins:mlops/training/penguins/p.csv@e2', 'hgb']]);

      assertRefused(
        await runInProcess(ctx, 'reject', 'training/mlops/training/cars.csv@e1', '--project', 'penguins', '--by', 'ana', '--reason', 'no'),
        /run 'training\/mlops\/training\/cars.csv@e1' is a run of project used-cars, not penguins/,
      );
      assertRefused(await runInProcess(ctx, 'approve', 'training/x', '--project', 'penguins', '--model', 'forest', '--by', 'ana', '--reason', 'r'), /--model: unknown model family 'forest' of project penguins/);
      assert.equal(client.updates.length, 1, 'nothing more was sent');
    });
  });

  describe('predict', () => {
    let server: http.Server;
    let paths: string[];

    beforeEach(async () => {
      paths = [];
      server = http.createServer((req, res) => {
        paths.push(req.url ?? '');
        req.resume();
        req.on('end', () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ predictions: [{ inferenceId: 'i1', prediction: 4100.5, models: { hgb: 4100.5 } }], combiner: 'mean' }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      config = { ...config, gatewayUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    });

    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it("when --project penguins is given, then the records go to the gateway's route of that project; without it, to /v1/predict", async () => {
      const file = path.join(REPO_ROOT, 'projects', 'penguins', 'data', 'penguins.csv');
      const { ctx } = context([], fakeBackend({ versions: [] }));
      const one = await runInProcess(ctx, 'predict', file, '--project', 'penguins', '--combiner', 'mean', '--json');
      assert.equal(one.code, 0, one.stderr);
      assert.equal(JSON.parse(one.stdout).predictions[0].models.hgb, 4100.5);
      await runInProcess(ctx, 'predict', file, '--json');
      assert.deepEqual(paths, ['/v1/projects/penguins/predict?combiner=mean', '/v1/predict']);
    });

    it('when the project is unknown, then it exits 2 and the gateway is not asked', async () => {
      const { ctx } = context([], fakeBackend({ versions: [] }));
      assertRefused(await runInProcess(ctx, 'predict', '-', '--project', 'houses'), /unknown project 'houses'/);
      assert.deepEqual(paths, []);
    });
  });

  describe('endpoints list, deployments list', () => {
    it("when --project penguins is given, then only the endpoints and deployments of its algorithms are listed, with the project's versions", async () => {
      const backend = fakeBackend({
        versions: [version('hgb', 2, 'penguins'), version('xgboost', 5)],
        endpoints: [endpoint('mlops-xgboost', 'xgboost-5'), endpoint('mlops-penguins-hgb', 'penguins-hgb-2'), endpoint('mlops-penguins-xgboost', 'penguins-xgboost-1')],
      });
      const { ctx } = context(
        [
          { type: 'endpointDeployment', workflowId: 'deployment/mlops-xgboost/v5', status: 'COMPLETED' },
          { type: 'endpointDeployment', workflowId: 'deployment/mlops-penguins-hgb/v2', status: 'COMPLETED' },
        ],
        backend,
      );
      const one = await runInProcess(ctx, 'endpoints', 'list', '--project', 'penguins', '--json');
      assert.equal(one.code, 0, one.stderr);
      const rows = (JSON.parse(one.stdout) as { endpoints: { endpointName: string; modelVersion: string | null }[] }).endpoints;
      assert.deepEqual(rows.map((r) => [r.endpointName, r.modelVersion]), [['mlops-penguins-hgb', 'hgb v2'], ['mlops-penguins-xgboost', null]]);
      const all = await runInProcess(ctx, 'endpoints', 'list', '--json');
      assert.deepEqual((JSON.parse(all.stdout) as { endpoints: { endpointName: string; modelVersion: string | null }[] }).endpoints.map((r) => [r.endpointName, r.modelVersion]), [
        ['mlops-xgboost', 'xgboost v5'],
        ['mlops-penguins-hgb', null],
        ['mlops-penguins-xgboost', null],
      ]);

      const deployments = await runInProcess(ctx, 'deployments', 'list', '--project', 'penguins', '--json');
      assert.equal(deployments.code, 0, deployments.stderr);
      assert.deepEqual((JSON.parse(deployments.stdout) as { deployments: { deployment: string }[] }).deployments.map((d) => d.deployment), ['mlops-penguins-hgb/v2']);
      const demo = await runInProcess(ctx, 'deployments', 'list', '--project', 'used-cars', '--json');
      assert.deepEqual((JSON.parse(demo.stdout) as { deployments: { deployment: string }[] }).deployments.map((d) => d.deployment), ['mlops-xgboost/v5']);
      assertRefused(await runInProcess(ctx, 'endpoints', 'list', '--project', 'houses'), /unknown project 'houses'/);
    });
  });

  describe('notifications, runs list, schedule list, dashboard', () => {
    it("when --project penguins is given, then only the notifications its runs sent are shown (the newest --limit of them)", async () => {
      const note = (id: string, project?: string): DeliveredNotification => ({ id, kind: 'training.completed', severity: 'info', subject: id, message: 'm', ...(project ? { details: { project } } : {}), time: '2026-03-02T10:00:00.000Z' });
      const { ctx } = context([], fakeBackend({ versions: [], notifications: [note('p1', 'penguins'), note('d1'), note('p2', 'penguins'), note('d2')] }));
      const one = await runInProcess(ctx, 'notifications', '--project', 'penguins', '--limit', '1', '--json');
      assert.equal(one.code, 0, one.stderr);
      assert.deepEqual((JSON.parse(one.stdout) as { notifications: { id: string }[] }).notifications.map((n) => n.id), ['p2']);
      const demo = await runInProcess(ctx, 'notifications', '--project', 'used-cars', '--json');
      assert.deepEqual((JSON.parse(demo.stdout) as { notifications: { id: string }[] }).notifications.map((n) => n.id), ['d1', 'd2']);
      const all = await runInProcess(ctx, 'notifications', '--limit', '2', '--json');
      assert.deepEqual((JSON.parse(all.stdout) as { notifications: { id: string }[] }).notifications.map((n) => n.id), ['p2', 'd2']);
    });

    it("when --project penguins is given, then runs list asks the server for its runs by the MlopsProject attribute and a project's lifecycle names its family", async () => {
      // The fake client does not evaluate visibility queries: it answers what the server would for
      // the query, and the test checks the query that was asked (runs.test.ts covers its clauses).
      const { client, ctx } = context(
        [
          { type: 'trainingPipeline', workflowId: 'training/penguins:mlops/training/penguins/p.csv@e2', status: 'COMPLETED', memo: { project: 'penguins' } },
          { type: 'modelLifecycle', workflowId: 'lifecycle/penguins/hgb', status: 'RUNNING' },
        ],
        fakeBackend({ versions: [] }),
      );
      const queries: (string | undefined)[] = [];
      const list = client.workflow.list;
      (client.workflow as { list: (options?: { query?: string }) => ReturnType<typeof list> }).list = (options?: { query?: string }) => {
        queries.push(options?.query);
        return list();
      };
      const one = await runInProcess(ctx, 'runs', 'list', '--project', 'penguins', '--json');
      assert.equal(one.code, 0, one.stderr);
      assert.match(queries[0] ?? '', /MlopsProject = 'penguins'/, JSON.stringify(queries));
      const rows = (JSON.parse(one.stdout) as { runs: { workflowId: string; families: string[] | null }[] }).runs;
      assert.deepEqual(rows.map((r) => [r.workflowId, r.families]), [
        ['lifecycle/penguins/hgb', ['hgb']],
        ['training/penguins:mlops/training/penguins/p.csv@e2', null],
      ]);
      await runInProcess(ctx, 'runs', 'list', '--json');
      assert.doesNotMatch(queries[1] ?? '', /MlopsProject/);
      const none = await runInProcess(new ProjectCliContext(config, fakeClient([]), fakeBackend({ versions: [] })), 'runs', 'list', '--project', 'penguins');
      assert.equal(none.stdout.trim(), 'no runs of project penguins yet: start one with `mlops train --project penguins`');
    });

    it("when --project penguins is given, then schedule list shows the schedules whose memo names it", async () => {
      const schedule = (scheduleId: string, memo: Record<string, unknown>) => ({
        scheduleId,
        action: { workflowType: 'monitoringPipeline' },
        state: { paused: false },
        spec: { intervals: [{ every: 3_600_000 }] },
        memo,
        info: { nextActionTimes: [], recentActions: [] },
      });
      const client = {
        schedule: {
          list: async function* () {
            yield schedule('monitoring-xgboost', { family: 'xgboost' });
            yield schedule('monitoring-penguins-hgb', { family: 'hgb', project: 'penguins' });
          },
        },
      } as unknown as Client;
      const ctx = new ProjectCliContext(config, client, fakeBackend({ versions: [] }));
      const one = await runInProcess(ctx, 'schedule', 'list', '--project', 'penguins', '--json');
      assert.equal(one.code, 0, one.stderr);
      assert.deepEqual((JSON.parse(one.stdout) as { scheduleId: string }[]).map((s) => s.scheduleId), ['monitoring-penguins-hgb']);
      const all = await runInProcess(ctx, 'schedule', 'list', '--json');
      assert.deepEqual((JSON.parse(all.stdout) as { scheduleId: string }[]).map((s) => s.scheduleId).sort(), ['monitoring-penguins-hgb', 'monitoring-xgboost']);
    });

    it('when --project penguins is given, then dashboard prints the URL that opens filtered to it', async () => {
      config = { ...config, dashboardUrl: 'http://127.0.0.1:9' };
      const { ctx } = context([], fakeBackend({ versions: [] }));
      const result = await runInProcess(ctx, 'dashboard', '--project', 'penguins', '--json');
      assert.equal(result.code, 3, 'nothing answers on port 9');
      assert.equal(JSON.parse(result.stdout).url, 'http://127.0.0.1:9/?project=penguins');
      assertRefused(await runInProcess(ctx, 'dashboard', '--project', 'houses'), /unknown project 'houses'/);
    });
  });
});
