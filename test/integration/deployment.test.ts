import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createBackend } from '../../activities/backends';
import type { Backend } from '../../activities/backends/types';
import { taskQueuesOf } from '../../common/config/parse';
import { stackPorts, type Config } from '../../common/config/schema';
import type { EndpointDeploymentInput, RollbackAlarms } from '../../common/types/deployment';
import { endpointDeployment } from '../../workflows';
import { deploymentStateQuery } from '../../workflows/deployment/deployment.messages';
import { eventually, freePortBase, startEndpointHost, tempDir, testConfig } from '../helpers/integration';
import { createDeploymentModel, makeDeploymentModels } from '../helpers/deployment-models';
import { createLocalEnv } from '../helpers/temporal-env';
import { runWorkers, type RunningWorkers } from '../helpers/workers';
import { runInProcess, TestCliContext } from '../helpers/cli-in-process';

const ALARMS: RollbackAlarms = { maxErrorRate: 0.05, maxP99LatencyMs: 2000, minInvocations: 8, window: '10 seconds', evaluationInterval: '1 second' };

/**
 * Canary deployments on a real local stack (Temporal dev server, the project's workers and
 * activities on the local backend, the endpoint host with real model servers) under steady load:
 * a healthy model takes all traffic without a failed request; a model that fails half of its
 * requests (it refuses the missing values half of the traffic carries) is rolled back by the
 * error-rate alarm, with failures only from the canary's share, and the old model serving again.
 */
describe('deployments (integration: canary success and rollback under load)', function () {
  this.timeout(120_000);
  let home: string;
  let config: Config;
  let backend: Backend;
  let env: TestWorkflowEnvironment;
  let workers: RunningWorkers;
  let host: Awaited<ReturnType<typeof startEndpointHost>>;
  let hostUrl: string;

  before(async () => {
    home = await tempDir('deployment');
    config = testConfig({ home, portBase: await freePortBase() });
    backend = createBackend(config);
    hostUrl = `http://127.0.0.1:${stackPorts(config.portBase).endpointHost}`;
    const modelsDir = path.join(home, 'models');
    await makeDeploymentModels(modelsDir);
    [env, host] = await Promise.all([createLocalEnv(), startEndpointHost(config)]);
    workers = await runWorkers(env, config, backend);
    await createDeploymentModel(backend, 'old', path.join(modelsDir, 'old'), 'xgboost', 'dep');
    await createDeploymentModel(backend, 'new', path.join(modelsDir, 'new'), 'xgboost', 'dep');
    await createDeploymentModel(backend, 'linear', path.join(modelsDir, 'linear'), 'linear-learner', 'dep');
    await backend.hosting.createEndpoint('dep', 'cfg-old');
    await eventually('the endpoint serves', async () => (await backend.hosting.describeEndpoint('dep'))?.status === 'InService', 60_000);
  });

  after(async () => {
    await workers?.stop();
    await host?.stop();
    await env?.teardown();
    await fs.rm(home, { recursive: true, force: true });
  });

  /** Steady load (4 callers by default) until stopped: half of the requests carry a missing value. */
  function load(callers = 4, pauseMs = 5) {
    const seen: { status: number; variant: string; at: number }[] = [];
    let running = true;
    const caller = async (k: number) => {
      for (let i = 0; running; i++) {
        const body = (i + k) % 2 === 0 ? '0.5,1.5,-0.2' : '0.5,,-0.2';
        const response = await fetch(`${hostUrl}/endpoints/dep/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
        await response.arrayBuffer();
        seen.push({ status: response.status, variant: response.headers.get('x-amzn-invoked-production-variant') ?? '', at: Date.now() });
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    };
    const all = Promise.all(Array.from({ length: callers }, (_, k) => caller(k)));
    return {
      seen,
      stop: async () => {
        running = false;
        await all;
      },
    };
  }

  async function deploy(model: string, version: number, policy: EndpointDeploymentInput['policy'] = { type: 'canary', canaryShare: 0.1, canaryBake: '4 seconds', finalBake: '1 second' }) {
    const queues = taskQueuesOf(config);
    const input: EndpointDeploymentInput = {
      endpointName: 'dep',
      family: model === 'linear' ? 'linear-learner' : 'xgboost',
      target: { modelName: model, version, endpointConfigName: `cfg-${model}` },
      policy,
      alarms: ALARMS,
      requestedBy: { workflowId: 'integration', kind: 'manual', by: 'test' },
      taskQueues: queues,
    };
    return env.client.workflow.start(endpointDeployment, { taskQueue: queues.orchestration, workflowId: `deployment/dep/v${version}`, args: [input] });
  }

  it('when a healthy model is deployed by canary under load, then it takes 10 % then everything and no request fails', async () => {
    const traffic = load();
    const handle = await deploy('new', 2);
    const cli = new TestCliContext(config, env.client);
    const shown = await eventually('the canary shows in `mlops deployments show`', async () => {
      const { code, stdout } = await runInProcess(cli, 'deployments', 'show', 'dep/v2', '--json');
      const s = code === 0 ? (JSON.parse(stdout) as { phase: string; traffic: { modelName: string; share: number }[] }) : undefined;
      return s?.phase === 'shifting' && s.traffic.some((t) => t.modelName === 'new' && t.share > 0) ? s : undefined;
    }, 15_000);
    assert.deepEqual(shown.traffic.map((t) => [t.modelName, t.share]), [['old', 0.9], ['new', 0.1]]);
    const result = await handle.result();
    await traffic.stop();
    assert.equal(result.outcome, 'deployed', result.reason);
    assert.equal((await backend.hosting.describeEndpoint('dep'))?.endpointConfigName, 'cfg-new');
    assert.deepEqual(traffic.seen.filter((s) => s.status !== 200).length, 0);
    const byVariant = (v: string) => traffic.seen.filter((s) => s.variant === v).length;
    assert.ok(byVariant('new') > 0 && byVariant('old') > 0, 'both models answered during the canary');
    const state = await handle.query(deploymentStateQuery);
    assert.ok(state.readings.some((r) => r.variants.some((v) => v.variantName === 'new' && v.invocations > 0)), 'the alarms read the new variant from /metrics');
  });

  it('when a model failing half of its requests is deployed by canary, then the error-rate alarm rolls it back in place; only canary requests failed and the old model serves everything again', async () => {
    const traffic = load();
    const handle = await deploy('linear', 3);
    const result = await handle.result();
    const canary = traffic.seen.filter((s) => s.variant === 'linear');
    const canaryMs = canary.at(-1)!.at - canary[0]!.at;
    const during = traffic.seen.length;
    await new Promise((r) => setTimeout(r, 500));
    await traffic.stop();
    assert.equal(result.outcome, 'rolled-back');
    assert.equal(result.rollback?.alarm, 'error-rate');
    assert.ok(canaryMs < 15_000, `the canary answered for ${canaryMs} ms before the rollback`);
    assert.equal((await backend.hosting.describeEndpoint('dep'))?.endpointConfigName, 'cfg-new');
    const failed = traffic.seen.filter((s) => s.status !== 200);
    assert.ok(failed.length > 0, 'the bad model did fail some requests');
    assert.ok(failed.every((s) => s.variant === 'linear'), 'only the canary failed');
    assert.ok(failed.length <= 0.1 * during, `${failed.length} of ${during} requests failed (at most the canary share)`);
    assert.ok(traffic.seen.slice(during).every((s) => s.status === 200 && s.variant === 'new'), 'after the rollback the old model answers everything');
    const metrics = await (await fetch(`${hostUrl}/metrics`)).text();
    assert.match(metrics, /mlops_endpoint_invocation_errors_total\{endpoint="dep",variant="linear",role="production",error="ModelError"\} [1-9]/);
  });

  it('when a person aborts a canary with `mlops deployments abort`, then it rolls back, recording who and why, and `list` shows it', async () => {
    const handle = await deploy('old', 4);
    const cli = new TestCliContext(config, env.client);
    await eventually('the canary shifts', async () => (await handle.query(deploymentStateQuery)).traffic.some((t) => t.modelName === 'old' && t.share === 0.1), 15_000);
    const refused = await runInProcess(cli, 'deployments', 'abort', 'dep/v4', '--by', 'ops', '--reason', ' ');
    assert.equal(refused.code, 2, refused.stderr);
    const { code, stderr } = await runInProcess(cli, 'deployments', 'abort', 'dep/v4', '--by', 'ops', '--reason', 'wrong model');
    assert.equal(code, 0, stderr);
    const result = await handle.result();
    assert.equal(result.outcome, 'rolled-back');
    assert.equal(result.reason, 'aborted by ops: wrong model');
    assert.equal((await backend.hosting.describeEndpoint('dep'))?.endpointConfigName, 'cfg-new');
    const listed = JSON.parse((await runInProcess(cli, 'deployments', 'list', '--json')).stdout) as { deployments: { deployment: string; status: string }[] };
    assert.deepEqual(listed.deployments.map((d) => d.deployment).sort(), ['dep/v2', 'dep/v3', 'dep/v4']);
  });

  it('when a model is deployed as a shadow, then it is mirrored half of the requests without answering any, compared with the champion in `show`, and promoted by rule', async () => {
    const traffic = load();
    const handle = await deploy('old', 5, { type: 'shadow', shadowShare: 0.5, shadowPeriod: '3 seconds', promotion: 'auto', decisionTimeout: '1 hour', finalBake: '1 second' });
    const cli = new TestCliContext(config, env.client);
    await eventually('the shadow is compared', async () => ((await handle.query(deploymentStateQuery)).shadow?.pairs ?? 0) > 0, 15_000);
    const shown = await runInProcess(cli, 'deployments', 'show', 'dep/v5');
    assert.match(shown.stdout, /shadow old beside new \(\d+ pairs/);
    const result = await handle.result();
    await traffic.stop();
    assert.equal(result.outcome, 'deployed', result.reason);
    const state = await handle.query(deploymentStateQuery);
    assert.ok(state.shadow && state.shadow.pairs > 0 && state.shadow.shadow.latencyMs.p50 !== undefined && state.shadow.relativeDifference.p50 !== undefined, JSON.stringify(state.shadow));
    assert.equal(traffic.seen.filter((s) => s.status !== 200).length, 0);
    const promotedAt = traffic.seen.findIndex((s) => s.variant === 'old');
    assert.ok(promotedAt > 0 && traffic.seen.slice(0, promotedAt).every((s) => s.variant === 'new'), 'the shadow answered nothing before its promotion');
  });

  it('when a variant is autoscaled, then load scales it out to its maximum and, once the load drops, back in, without failing a request in flight', async () => {
    const serving = (await backend.hosting.describeEndpoint('dep'))!.variants[0]!.variantName;
    await backend.autoscaling.register('dep', serving, { minInstances: 1, maxInstances: 3, targetInvocationsPerInstancePerMinute: 300, scaleOutCooldown: '1 second', scaleInCooldown: '2 seconds' });
    const instances = () => host.host.liveView().find((e) => e.endpointName === 'dep')?.variants.find((v) => v.variantName === serving)?.instances.filter((i) => i.running).length ?? 0;
    const heavy = load();
    const light = load(1, 300);
    await eventually('scaled out to 3 instances', async () => instances() === 3, 30_000);
    await heavy.stop();
    await eventually('scaled back in to 1 instance', async () => instances() === 1, 30_000);
    await light.stop();
    await backend.autoscaling.deregister('dep', serving);
    const failed = [...heavy.seen, ...light.seen].filter((s) => s.status !== 200);
    assert.equal(failed.length, 0, `${failed.length} request(s) failed while the variant scaled`);
    assert.equal((await backend.hosting.describeEndpoint('dep'))?.variants[0]?.desiredInstanceCount, 1);
  });
});
