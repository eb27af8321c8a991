import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createBackend } from '../../activities/backends';
import type { Backend } from '../../activities/backends/types';
import { REPO_ROOT } from '../../common/config/parse';
import { stackPorts, type Config } from '../../common/config/schema';
import { stackDown, stackStatus, stackUp } from '../../client/stack/stack';
import { readRecord, stopProcess } from '../../client/stack/processes';
import { connectClient } from '../../client/temporal';
import { waitForTrainingReport } from '../../client/training/report';
import type { trainingPipeline } from '../../workflows';
import { DATASET, countCaptureRecords, eventually, freePortBase, tempDir, testConfig } from '../helpers/integration';

const RECORD = { Mileage: 20105, Cylinder: 6, Doors: 4, Cruise: 1, Sound: 0, Leather: 0, Buick: 1, Cadillac: 0, Chevy: 0, Pontiac: 0, Saab: 0, Saturn: 0, convertible: 0, coupe: 0, hatchback: 0, sedan: 1, wagon: 0 };

/**
 * Real-time inference on the real stack: a run with manual approval decided from the CLI creates
 * the endpoints; a second, better run updates one of them while a load generator keeps the gateway
 * busy; no request fails and every served request is captured once.
 */
describe('serving (integration: approval from the CLI, endpoints, gateway, capture)', function () {
  this.timeout(300_000);
  let home: string;
  let config: Config;
  let backend: Backend;
  let env: Record<string, string>;
  let gatewayUrl: string;

  before(async () => {
    home = await tempDir('serving');
    config = testConfig({ home, portBase: await freePortBase() });
    env = { MLOPS_HOME: home, MLOPS_PORT_BASE: String(config.portBase), MLOPS_TASK_QUEUE_SUFFIX: config.taskQueueSuffix, MLOPS_JOB_POLL_MS: '50' };
    backend = createBackend(config);
    await stackUp(config);
    gatewayUrl = `http://127.0.0.1:${stackPorts(config.portBase).gateway}`;
  });

  after(async () => {
    await stackDown(config).catch(() => undefined);
    await fs.rm(home, { recursive: true, force: true });
  });

  async function mlops(...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin', 'mlops.js'), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 120_000 });
    return stdout;
  }

  interface PredictBody {
    predictions?: { prediction: number; models: Record<string, number> }[];
    modelVersions?: Record<string, string>;
    degraded?: unknown;
  }

  async function predict(): Promise<{ status: number; body: PredictBody }> {
    const response = await fetch(`${gatewayUrl}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(RECORD) });
    return { status: response.status, body: (await response.json()) as PredictBody };
  }

  /** What xgboost version 1 answers for RECORD (the first test deploys it). */
  let firstXgboostPrediction: number | undefined;

  it('when a manual-approval run is approved from the CLI, then both endpoints serve through the gateway and every request is captured once', async () => {
    const weak = path.join(home, 'weak.json');
    await fs.writeFile(weak, JSON.stringify({ models: { xgboost: { hyperparameters: { num_round: 25 } } }, deployment: { instanceCount: 2 } }));
    const started = JSON.parse(await mlops('train', '--data', DATASET, '--config', weak, '--approval', 'manual', '--json')) as { workflowId: string };
    const pending = await eventually('two approvals pending', async () => {
      const list = JSON.parse(await mlops('approvals', '--json')) as { approvals: { workflowId: string; family: string }[] };
      return list.approvals.length === 2 ? list.approvals : undefined;
    });
    assert.deepEqual(pending.map((p) => p.family).sort(), ['linear-learner', 'xgboost']);
    assert.ok(pending.every((p) => p.workflowId === started.workflowId));
    for (const family of ['xgboost', 'linear-learner']) {
      assert.match(await mlops('approve', started.workflowId, '--model', family, '--by', 'alice', '--reason', 'first champion'), new RegExp(`${family} version 1 approved by alice`));
    }
    const { client, connection } = await connectClient(config);
    try {
      const report = await waitForTrainingReport(client.workflow.getHandle<typeof trainingPipeline>(started.workflowId), (r) => r);
      assert.equal(report.status, 'completed', JSON.stringify(report.error));
      assert.deepEqual(report.models.map((m) => m.decision.outcome), ['accepted', 'accepted']);
    } finally {
      await connection.close();
    }
    const version = await backend.registry.getVersion('xgboost', 1);
    assert.equal(version?.decision?.decidedBy, 'alice');
    const endpoints = JSON.parse(await mlops('endpoints', 'list', '--json')) as { endpoints: { endpointName: string; status: string; modelVersion: string; instances: string }[] };
    assert.deepEqual(endpoints.endpoints.map((e) => [e.endpointName, e.status, e.modelVersion, e.instances]).sort(), [
      ['mlops-linear-learner', 'InService', 'linear-learner v1', '2/2'],
      ['mlops-xgboost', 'InService', 'xgboost v1', '2/2'],
    ]);
    const n = 25;
    for (let i = 0; i < n; i++) {
      const { status, body } = await predict();
      assert.equal(status, 200);
      assert.deepEqual(body.modelVersions, { xgboost: '1', 'linear-learner': '1' });
      firstXgboostPrediction = body.predictions![0]!.models.xgboost;
    }
    await eventually('capture flushed', async () => (await countCaptureRecords(home, 'mlops-xgboost')) === n && (await countCaptureRecords(home, 'mlops-linear-learner')) === n, 10_000);
    // The files follow SageMaker's data-capture layout and record format; the variant is named after its model.
    const variant = version!.modelName;
    const files = await fs.readdir(path.join(home, 'objects', 'mlops', 'capture', 'mlops-xgboost', variant), { recursive: true });
    const file = files.find((f) => f.endsWith('.jsonl'))!;
    assert.match(file, /^\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl$/);
    const record = JSON.parse((await fs.readFile(path.join(home, 'objects', 'mlops', 'capture', 'mlops-xgboost', variant, file), 'utf8')).split('\n')[0]!);
    assert.deepEqual(Object.keys(record), ['captureData', 'eventMetadata', 'eventVersion']);
    assert.equal(record.eventVersion, '0');
    assert.deepEqual(record.captureData.endpointInput, { observedContentType: 'text/csv', mode: 'INPUT', data: '20105,6,4,1,0,0,1,0,0,0,0,0,0,0,0,1,0', encoding: 'CSV' });
    assert.equal(record.captureData.endpointOutput.mode, 'OUTPUT');
    assert.equal(record.captureData.endpointOutput.encoding, 'CSV');
    assert.ok(Number.isFinite(Number(record.captureData.endpointOutput.data)));
    assert.deepEqual(Object.keys(record.eventMetadata), ['eventId', 'inferenceId', 'inferenceTime']);
    assert.match(record.eventMetadata.inferenceTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('when a better model is deployed while the gateway is under load, then the endpoint is updated in place, no request fails and every answer names the version that produced it', async () => {
    const before = await backend.hosting.describeEndpoint('mlops-xgboost');
    const capturedBefore = await countCaptureRecords(home, 'mlops-xgboost');
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const labelled: { prediction: number; version: string | undefined }[] = [];
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          try {
            const r = await predict();
            if (r.status === 200 && !r.body.degraded && Number.isFinite(r.body.predictions?.[0]?.prediction)) {
              ok++;
              labelled.push({ prediction: r.body.predictions![0]!.models.xgboost!, version: r.body.modelVersions?.xgboost });
            }
            else failures.push(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
          } catch (err) {
            failures.push(String(err));
          }
        }
      }),
    );
    try {
      await eventually('load flowing', async () => ok > 20);
      const report = JSON.parse(await mlops('train', '--data', DATASET, '--new-run', '--wait', '--json')) as { status: string; models: { family: string; decision: { outcome: string } }[] };
      assert.equal(report.status, 'completed');
      assert.equal(report.models.find((m) => m.family === 'xgboost')?.decision.outcome, 'accepted');
      const countAtSwitch = ok;
      await eventually('more load after the switch', async () => ok > countAtSwitch + 50);
    } finally {
      stop = true;
      await load;
    }
    assert.deepEqual(failures, [], 'no request failed during the update');
    // Version 1 always answers RECORD with the same value, version 2 with another: each label must match its value.
    assert.ok(firstXgboostPrediction !== undefined);
    const fromFirst = labelled.filter((a) => a.prediction === firstXgboostPrediction);
    const fromSecond = labelled.filter((a) => a.prediction !== firstXgboostPrediction);
    assert.ok(fromFirst.length > 0 && fromSecond.length > 0, `answers from both versions (${fromFirst.length}, ${fromSecond.length})`);
    assert.deepEqual([...new Set(fromFirst.map((a) => a.version))], ['1'], 'answers of version 1 are labelled 1');
    assert.deepEqual([...new Set(fromSecond.map((a) => a.version))], ['2'], 'answers of version 2 are labelled 2');
    assert.equal(new Set(fromSecond.map((a) => a.prediction)).size, 1);
    const after = await backend.hosting.describeEndpoint('mlops-xgboost');
    assert.equal(after?.status, 'InService');
    assert.notEqual(after?.endpointConfigName, before?.endpointConfigName, 'the endpoint moved to the new config');
    assert.equal(after?.variants[0]?.modelName, (await backend.registry.getVersion('xgboost', 2))?.modelName);
    await eventually('capture of every served request', async () => (await countCaptureRecords(home, 'mlops-xgboost')) - capturedBefore === ok, 10_000);
  });

  it('when the endpoint host shuts down cleanly and starts again, then no capture record is lost and it restores its endpoints', async () => {
    const capturedBefore = await countCaptureRecords(home, 'mlops-xgboost');
    const n = 30;
    for (let i = 0; i < n; i++) assert.equal((await predict()).status, 200);
    const host = (await readRecord(path.join(home, 'run'), 'endpoint-host'))!;
    assert.equal(await stopProcess(host.pid, 20_000), 'stopped', 'SIGTERM ends the host gracefully');
    assert.equal((await countCaptureRecords(home, 'mlops-xgboost')) - capturedBefore, n, 'everything served was flushed at shutdown');
    const down = await predict();
    assert.equal(down.status, 503, 'with both endpoints unreachable the gateway answers 503 quickly');

    await stackUp(config); // restarts only the endpoint host
    assert.ok((await stackStatus(config)).every((s) => s.state === 'running'));
    await eventually('the endpoints serve again', async () => (await predict()).status === 200, 60_000);
    const endpoints = await backend.hosting.listEndpoints();
    assert.deepEqual(endpoints.map((e) => e.status), ['InService', 'InService']);
  });

  it('when a scoring file is put into the bucket with `mlops data put`, then the webhook starts batch scoring and the scored file appears', async () => {
    const sample = path.join(REPO_ROOT, 'data', 'scoring-sample.csv');
    const put = JSON.parse(await mlops('data', 'put', sample, 's3://mlops/scoring/sample-from-put.csv', '--json')) as { webhook?: { status: number; runs?: { workflowId: string; pipeline: string }[] } };
    assert.equal(put.webhook?.status, 202);
    const run = put.webhook?.runs?.[0];
    assert.equal(run?.pipeline, 'scoring', JSON.stringify(put));
    assert.match(run!.workflowId, /^scoring\/mlops\/scoring\/sample-from-put\.csv@[0-9a-f]{32}$/);
    const report = JSON.parse(await mlops('score', 's3://mlops/scoring/sample-from-put.csv', '--wait', '--json')) as { workflowId: string; status: string; outputs: { family: string; outputUris: string[] }[] };
    assert.equal(report.workflowId, run!.workflowId, 'mlops score joins the run the event started');
    assert.equal(report.status, 'completed');
    const rows = (await fs.readFile(sample, 'utf8')).trim().split('\n').length - 1;
    for (const o of report.outputs) {
      const out = (await backend.objectStore.get(o.outputUris[0]!)).toString('utf8').trim().split('\n');
      assert.equal(out.length, rows, `${o.family}: one scored record per input row`);
    }
  });
});
