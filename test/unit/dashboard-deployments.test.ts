import assert from 'node:assert/strict';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createLocalBackend } from '../../activities/backends/local';
import type { Backend } from '../../activities/backends/types';
import type { DeploymentRow, DeploymentView } from '../../client/dashboard/deployments';
import { buildDashboardServer } from '../../client/dashboard/server';
import { DEFAULT_ROLLBACK_ALARMS, type DeploymentPolicy, type DeploymentState } from '../../common/types/deployment';
import { activityHistory, shadowSnapshot } from '../helpers/deployment-history';
import { fakeClient, type FakeRun } from '../helpers/fake-temporal-client';
import { createTempDir, removeTempDir } from '../helpers/temp-dir';

const BUCKET = 'mlops-dash';
const UI = 'http://ui/workflows';

function deploymentState(over: Partial<DeploymentState> & { endpointName: string; family: string; modelName: string; version: number; policy: DeploymentPolicy }): DeploymentState {
  const { modelName, version, ...rest } = over;
  return {
    phase: 'completed',
    target: { modelName, version, endpointConfigName: `cfg-${modelName}`, variantName: modelName },
    previous: { endpointConfigName: 'cfg-old', variantName: 'old', modelName: 'old' },
    traffic: [{ variantName: modelName, modelName, role: 'production', share: 1 }],
    alarms: [
      { name: 'error-rate', state: 'OK', threshold: DEFAULT_ROLLBACK_ALARMS.maxErrorRate, value: 0.01, sample: 200, reason: '2 of 200 request(s) failed (1.0 %, limit 5.0 %)' },
      { name: 'p99-latency', state: 'OK', threshold: DEFAULT_ROLLBACK_ALARMS.maxP99LatencyMs, value: 12.5, sample: 198, reason: 'p99 12.5 ms over 198 answer(s) (limit 1000 ms)' },
    ],
    readings: [],
    requestedBy: { workflowId: `training/${modelName}`, kind: 'training' },
    startedAt: '2026-03-02T10:00:00Z',
    updatedAt: '2026-03-02T10:05:00Z',
    ...rest,
  };
}

const CANARY: DeploymentPolicy = { type: 'canary', canaryShare: 0.1, canaryBake: '5 minutes', finalBake: '1 minute' };
const SHADOW: DeploymentPolicy = { type: 'shadow', shadowShare: 0.5, shadowPeriod: '10 minutes', promotion: 'manual', decisionTimeout: '1 hour', finalBake: '1 minute' };

describe('dashboard API: deployments (the services/deployments functions over a fake Temporal client)', () => {
  let home: string;
  let backend: Backend;
  let app: FastifyInstance;

  const runs: FakeRun[] = [];
  const run = (workflowId: string, state: DeploymentState | undefined, over: Partial<FakeRun> = {}): FakeRun => ({
    type: 'endpointDeployment',
    workflowId,
    status: 'COMPLETED',
    startTime: new Date(state?.startedAt ?? '2026-03-02T10:00:00Z'),
    closeTime: new Date(state?.updatedAt ?? '2026-03-02T10:05:00Z'),
    ...(state ? { queries: { deploymentState: state } } : {}),
    ...over,
  });

  const get = async <T>(url: string): Promise<{ status: number; body: T }> => {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json<T>() };
  };

  before(async () => {
    home = await createTempDir('mlops-dashboard-deployments-');
    backend = createLocalBackend({ home, python: 'python3', algorithmsDir: path.join(home, 'algorithms') });
    const version = { artifactUri: `s3://${BUCKET}/m.tar.gz`, trainingJobName: 't', workflowId: 'w', runId: 'r', featureSchemaUri: `s3://${BUCKET}/s.json`, hyperparameters: {} };
    await backend.registry.registerVersion({ ...version, family: 'xgboost', modelName: 'model-xgboost-2', trainingJobName: 't2' });
    await backend.registry.registerVersion({ ...version, family: 'xgboost', modelName: 'model-xgboost-3', trainingJobName: 't3' });
    await backend.registry.registerVersion({ ...version, family: 'hgb', modelName: 'model-penguins-hgb-1', project: 'penguins', trainingJobName: 't4' });

    const shadowReadings = [
      shadowSnapshot('2026-03-04T10:00:05Z', { champion: [], shadow: [], differences: [] }, { champion: 'model-xgboost-2', shadow: 'model-xgboost-3' }),
      shadowSnapshot('2026-03-04T10:00:10Z', { champion: Array(40).fill(0.004) as number[], shadow: Array(20).fill(0.02) as number[], shadowErrors: 1, differences: [0.003, 0.003, 0.03, 3] }, { champion: 'model-xgboost-2', shadow: 'model-xgboost-3' }),
    ];
    const shadowState = deploymentState({
      endpointName: 'mlops-xgboost',
      family: 'xgboost',
      modelName: 'model-xgboost-3',
      version: 3,
      policy: SHADOW,
      phase: 'awaiting-decision',
      traffic: [
        { variantName: 'model-xgboost-2', modelName: 'model-xgboost-2', role: 'production', share: 1 },
        { variantName: 'model-xgboost-3', modelName: 'model-xgboost-3', role: 'shadow', share: 0.5 },
      ],
      shadow: { championVariant: 'model-xgboost-2', shadowVariant: 'model-xgboost-3', pairs: 4, relativeDifference: { p50: 0.004 }, champion: { invocations: 40, errors: 0, latencyMs: {} }, shadow: { invocations: 21, errors: 1, latencyMs: {} }, dropped: 0 },
      startedAt: '2026-03-04T10:00:00Z',
      updatedAt: '2026-03-04T10:00:10Z',
    });
    runs.push(
      run('deployment/mlops-xgboost/v2', deploymentState({ endpointName: 'mlops-xgboost', family: 'xgboost', modelName: 'model-xgboost-2', version: 2, policy: CANARY, decision: { action: 'promote', by: 'ana', reason: 'dashboards look fine', at: '2026-03-02T10:02:00Z' } })),
      run(
        'deployment/mlops-penguins-hgb/v1',
        deploymentState({
          endpointName: 'mlops-penguins-hgb',
          family: 'hgb',
          modelName: 'model-penguins-hgb-1',
          version: 1,
          policy: CANARY,
          phase: 'rolled-back',
          rollback: { reason: 'alarm error-rate: 10 of 20 request(s) failed', at: '2026-03-03T10:01:00Z', alarm: 'error-rate' },
          startedAt: '2026-03-03T10:00:00Z',
          updatedAt: '2026-03-03T10:01:00Z',
        }),
      ),
      // A deployment whose state cannot be read (no handler: an old worker, a broken replay).
      run('deployment/mlops-linear-learner/v9', undefined, { startTime: new Date('2026-03-03T12:00:00Z') }),
      run('deployment/mlops-xgboost/v3', shadowState, {
        status: 'RUNNING',
        startTime: new Date('2026-03-04T10:00:00Z'),
        closeTime: undefined,
        history: activityHistory([
          { type: 'prepareDeployment', result: {} },
          { type: 'createTransitionConfig', result: { alreadyExisted: false } },
          ...shadowReadings.map((result) => ({ type: 'readDeploymentMetrics', result })),
        ]),
      }),
    );
    const client = fakeClient(runs);
    app = buildDashboardServer({ backend, bucket: BUCKET, temporalUiUrl: (wf, r) => `${UI}/${encodeURIComponent(wf)}${r ? `/${r}/history` : ''}`, temporal: async () => client });
  });

  after(async () => {
    await app?.close();
    await removeTempDir(home);
  });

  it('when deployments exist, then the list has each one newest first with its phase, policy, split, alarms, decision and links; an unreadable state is said, not hidden', async () => {
    const { status, body } = await get<{ deployments: DeploymentRow[] }>('/api/deployments');
    assert.equal(status, 200);
    assert.deepEqual(body.deployments.map((d) => d.deployment), ['mlops-xgboost/v3', 'mlops-linear-learner/v9', 'mlops-penguins-hgb/v1', 'mlops-xgboost/v2']);
    const v2 = body.deployments.find((d) => d.deployment === 'mlops-xgboost/v2')!;
    assert.equal(v2.state?.phase, 'completed');
    assert.match(v2.policyText ?? '', /^canary 10 %/);
    assert.deepEqual(v2.state?.decision, { action: 'promote', by: 'ana', reason: 'dashboards look fine', at: '2026-03-02T10:02:00Z' });
    assert.deepEqual(v2.state?.alarms.map((a) => [a.name, a.value, a.threshold]), [['error-rate', 0.01, 0.05], ['p99-latency', 12.5, 1000]]);
    assert.equal(v2.runUrl, `${UI}/${encodeURIComponent('deployment/mlops-xgboost/v2')}/deployment/mlops-xgboost/v2-run/history`);
    assert.equal(v2.requestedByUrl, `${UI}/${encodeURIComponent('training/model-xgboost-2')}`);
    const unreadable = body.deployments.find((d) => d.deployment === 'mlops-linear-learner/v9')!;
    assert.equal(unreadable.state, undefined);
    assert.match(unreadable.problem ?? '', /could not be read/);
    assert.equal(body.deployments.find((d) => d.deployment === 'mlops-xgboost/v3')?.state?.traffic.find((t) => t.role === 'shadow')?.share, 0.5);
  });

  it('when a project is chosen, then only deployments of its registered models are listed (the demo project has the unscoped ones)', async () => {
    const penguins = (await get<{ deployments: DeploymentRow[] }>('/api/deployments?project=penguins')).body.deployments;
    assert.deepEqual(penguins.map((d) => d.deployment), ['mlops-penguins-hgb/v1']);
    assert.equal(penguins[0]?.state?.rollback?.alarm, 'error-rate');
    const demo = (await get<{ deployments: DeploymentRow[] }>('/api/deployments?project=used-cars')).body.deployments;
    assert.deepEqual(demo.map((d) => d.deployment), ['mlops-xgboost/v3', 'mlops-xgboost/v2']);
    assert.equal((await get('/api/deployments?project=Bad%20Name')).status, 400);
  });

  it('when a family, an endpoint or a time window is chosen, then the list narrows to it', async () => {
    const list = async (q: string) => (await get<{ deployments: DeploymentRow[] }>(`/api/deployments?${q}`)).body.deployments.map((d) => d.deployment);
    assert.deepEqual(await list('project=penguins&family=hgb'), ['mlops-penguins-hgb/v1']);
    assert.deepEqual(await list('endpoint=mlops-xgboost'), ['mlops-xgboost/v3', 'mlops-xgboost/v2']);
    // The running shadow started on the 4th: it overlaps a window of the 4th; the others ended before it.
    assert.deepEqual(await list('from=2026-03-04'), ['mlops-xgboost/v3']);
    assert.deepEqual(await list('to=2026-03-02'), ['mlops-xgboost/v2']);
  });

  it('when a shadow deployment is opened, then its comparison comes from the recorded readings: the difference distribution, p50/p95/p99 and errors of both', async () => {
    const { status, body } = await get<{ deployment: DeploymentView }>('/api/deployment?id=mlops-xgboost/v3');
    assert.equal(status, 200);
    const d = body.deployment;
    assert.equal(d.status, 'RUNNING');
    assert.equal(d.state.phase, 'awaiting-decision');
    assert.match(d.policyText, /^shadow 50 %/);
    const r = d.shadowReport!;
    assert.equal(r.pairs, 4);
    assert.deepEqual(r.relativeDifference.buckets.filter((b) => b.count > 0).map((b) => [b.lower, b.upper, b.count]), [[0.001, 0.005, 2], [0.02, 0.05, 1], [2, 5, 1]]);
    assert.deepEqual([r.champion.invocations, r.champion.errors, r.shadow.invocations, r.shadow.errors], [40, 0, 21, 1]);
    assert.ok(r.champion.latencyMs.p50! <= 5 && r.shadow.latencyMs.p95! > 15 && r.shadow.latencyMs.p99! <= 20, JSON.stringify(r));
    // Filters carried to the detail: another project's deployment is not shown under it.
    assert.equal((await get('/api/deployment?id=mlops-xgboost/v3&project=penguins')).status, 404);
  });

  it('when the id is not a deployment or names none, then 400 and 404 with one sentence', async () => {
    const bad = await get<{ message: string }>('/api/deployment?id=..%2Fetc%2Fv1');
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /ENDPOINT\/vVERSION/);
    const missing = await get<{ message: string }>('/api/deployment?id=mlops-xgboost/v99');
    assert.equal(missing.status, 404);
    assert.match(missing.body.message, /no deployment 'deployment\/mlops-xgboost\/v99'/);
    assert.equal((await get('/api/deployment')).status, 400);
  });

  it('when the dashboard has no Temporal client, then the deployments API answers 503 and the insights still answer', async () => {
    const bare = buildDashboardServer({ backend, bucket: BUCKET, temporalUiUrl: (wf) => wf });
    try {
      assert.equal((await bare.inject({ method: 'GET', url: '/api/deployments' })).statusCode, 503);
      assert.equal((await bare.inject({ method: 'GET', url: '/api/models' })).statusCode, 200);
      // The page learns it from the filters and does not ask.
      assert.equal((await bare.inject({ method: 'GET', url: '/api/filters' })).json<{ deployments: boolean }>().deployments, false);
      assert.equal((await app.inject({ method: 'GET', url: '/api/filters' })).json<{ deployments: boolean }>().deployments, true);
    } finally {
      await bare.close();
    }
  });
});
