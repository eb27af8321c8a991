import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { createBackend } from '../../activities/backends';
import type { Config } from '../../common/config/schema';
import { stackPorts } from '../../common/config/schema';
import { isPortOpen, readRecord, stopProcess } from '../../client/stack/processes';
import { stackDown, stackStatus, stackUp } from '../../client/stack/stack';
import { connectClient } from '../../client/temporal';
import { waitForTrainingReport } from '../../client/training/report';
import { startTraining } from '../../services/training/start-training';
import { DATASET, eventually, freePortBase, jobDirs, readJson, tempDir, testConfig } from '../helpers/integration';

/**
 * Test only: the stack's training jobs wait for this file (under the test's home) before they start
 * their work (MLOPS_TEST_HOLD_TRAINING_UNTIL, read by algorithms/mlops_algorithms/contract.py and
 * passed through by the local job runner), so every fault below lands while a job certainly runs;
 * the test creates the file once the fault is over.
 */
const HOLD_ENV = 'MLOPS_TEST_HOLD_TRAINING_UNTIL';

interface JobFile {
  pid?: number;
  description: { status: string };
}

/**
 * Faults against the real local stack (`mlops stack up`: dev server with a database file, worker
 * process): the run survives a killed worker and a restarted Temporal server.
 */
describe('fault tolerance (integration: real stack processes)', function () {
  this.timeout(300_000);
  let home: string;
  let config: Config;
  let client: Client;
  let connection: Connection;
  let holdFile: string;

  beforeEach(async () => {
    home = await tempDir('faults');
    holdFile = path.join(home, 'release-training');
    config = testConfig({ home, portBase: await freePortBase() });
    // The stack's processes inherit this process's environment (the worker passes it to its jobs).
    process.env[HOLD_ENV] = holdFile;
    await stackUp(config);
    ({ client, connection } = await connectClient(config));
  });

  afterEach(async () => {
    delete process.env[HOLD_ENV];
    await connection?.close();
    await stackDown(config).catch(() => undefined);
    await fs.rm(home, { recursive: true, force: true });
  });

  function startRun() {
    return startTraining(client, createBackend(config), config, { data: DATASET, trigger: 'fault-test' });
  }

  /** The xgboost training job once its process runs and holds at the test's gate (mid-job). */
  async function heldXgboostJob(): Promise<{ dir: string; pid: number }> {
    return eventually('the xgboost training job to run and hold', async () => {
      const name = (await jobDirs(home, 'training')).find((n) => n.startsWith('train-xgboost-'));
      if (!name) return undefined;
      const dir = path.join(home, 'jobs', 'training', name);
      const job = await readJson<JobFile>(path.join(dir, 'job.json')).catch(() => undefined);
      const log = await fs.readFile(path.join(dir, 'logs.txt'), 'utf8').catch(() => '');
      return job?.pid && job.description.status === 'InProgress' && log.includes(`waiting for ${holdFile}`) ? { dir, pid: job.pid } : undefined;
    });
  }

  const releaseTraining = () => fs.writeFile(holdFile, '');

  it('when the worker is killed while a training job runs, then a new worker adopts the job and the run completes with one job per model', async () => {
    const started = await startRun();
    const job = await heldXgboostJob();
    const worker = (await readRecord(path.join(home, 'run'), 'worker'))!;
    process.kill(worker.pid, 'SIGKILL');
    await eventually('the worker to be gone', async () => (await stackStatus(config)).find((s) => s.name === 'worker')?.state === 'stopped');
    // The job is a detached process: it keeps running without the worker.
    assert.doesNotThrow(() => process.kill(job.pid, 0), 'the training job survives the worker');

    await stackUp(config); // starts a new worker; Temporal is already running
    assert.equal((await readJson<JobFile>(path.join(job.dir, 'job.json'))).description.status, 'InProgress', 'the job was still running when the new worker came');
    await releaseTraining();
    const report = await waitForTrainingReport(started.handle, (r) => r);
    assert.equal(report.status, 'completed', JSON.stringify(report.error));
    const xgb = report.models.find((m) => m.family === 'xgboost')!;
    assert.equal(xgb.decision.outcome, 'accepted');
    assert.equal((await jobDirs(home, 'training')).length, 2, 'exactly one training job per model');
    const history = await started.handle.fetchHistory();
    const attempts = history.events!.flatMap((e) => {
      const scheduled = history.events!.find((s) => String(s.eventId) === String(e.activityTaskStartedEventAttributes?.scheduledEventId));
      const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name;
      return name === 'runTrainingJob' ? [e.activityTaskStartedEventAttributes!.attempt ?? 1] : [];
    });
    assert.ok(Math.max(...attempts) >= 2, `a retried attempt adopted the job (attempts: ${attempts.join(',')})`);
  });

  it('when the Temporal dev server restarts mid-run, then the run resumes from its database and completes', async () => {
    const started = await startRun();
    const job = await heldXgboostJob();
    const temporal = (await readRecord(path.join(home, 'run'), 'temporal'))!;
    await stopProcess(temporal.pid, 10_000);
    await eventually('the frontend port to close', async () => !(await isPortOpen(stackPorts(config.portBase).temporal)));

    await stackUp(config); // restarts the server on the same database file; the worker reconnects
    await connection.close();
    ({ client, connection } = await connectClient(config));
    assert.equal((await readJson<JobFile>(path.join(job.dir, 'job.json'))).description.status, 'InProgress', 'the job was still running when the server came back');
    await releaseTraining();
    const handle = client.workflow.getHandle(started.workflowId);
    const report = await waitForTrainingReport(handle as typeof started.handle, (r) => r);
    assert.equal(report.status, 'completed', JSON.stringify(report.error));
    assert.deepEqual(report.models.map((m) => m.decision.outcome), ['accepted', 'accepted']);
    assert.equal((await jobDirs(home, 'training')).length, 2);
  });
});
