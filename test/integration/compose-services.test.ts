import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Client, Connection } from '@temporalio/client';
import { createBackend } from '../../activities/backends';
import { createAwsClients } from '../../activities/backends/aws';
import type { JobRecord } from '../../activities/backends/local/job-record';
import type { Backend } from '../../activities/backends/types';
import { isPortOpen } from '../../client/stack/processes';
import { connectClient } from '../../client/temporal';
import { waitForTrainingReport } from '../../client/training/report';
import { parseConfig, REPO_ROOT } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { trainingJobNames } from '../../common/ids';
import { searchAttributeFlags } from '../../common/search-attributes';
import { startTraining } from '../../services/training/start-training';
import { mlops } from '../helpers/cli';
import { addressIn, loadCompose, REQUIRED_ENV, serviceEnvironment } from '../helpers/compose-file';
import { DATASET, eventually, tempDir } from '../helpers/integration';
import { PYTHON, TEMPORAL_CLI } from '../helpers/temporal-env';
import { bundleWorkflows } from '../helpers/workflow-bundle';

/**
 * The compose deployment without a Docker engine: the project's services run as separate processes,
 * each on a loopback address of its own (Linux routes all of 127/8 to lo), as each container has an
 * address of its own. Each process gets the environment docker-compose.yml gives its service, with
 * every compose service name in it resolved to that service's address (what Docker's DNS does), and
 * listens on its own address only (where compose says 0.0.0.0 of its own container). A service that
 * still called 127.0.0.1, or a setting that named no service, would find nothing there.
 *
 * Stand-ins: Temporal's dev server for the temporal service (PostgreSQL, the schema and namespace
 * services are Docker-only; the dev server only runs on 127.0.0.1, so a forwarder in this process
 * serves the temporal service's address, as a published port would), moto's S3 for MinIO (no MinIO binary here; the local backend reads
 * through it as through MinIO), the repo's virtualenv and a prebuilt workflow bundle for the image.
 */

/** The compose services this test runs, and the last byte of each one's address. */
const HOSTS = { temporal: 2, minio: 3, 'job-runner': 4, 'endpoint-host': 5, webhook: 6, gateway: 7, dashboard: 8, worker: 9 } as const;
type Host = keyof typeof HOSTS;
const HTTP_SERVICES = { 'job-runner': 8240, 'endpoint-host': 8236, webhook: 8238, gateway: 8237, dashboard: 8239 } as const;
const ENTRY: Record<keyof typeof HTTP_SERVICES | 'worker', string> = {
  'job-runner': 'workers/job-runner.ts',
  'endpoint-host': 'workers/endpoint-host.ts',
  webhook: 'client/webhook/main.ts',
  gateway: 'client/gateway/main.ts',
  dashboard: 'client/dashboard/main.ts',
  worker: 'workers/main.ts',
};

/** A free TCP port on 127.0.0.1. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Forwards TCP connections from `from` to `to` (what a published port does), until closed. */
async function forward(from: { host: string; port: number }, to: { host: string; port: number }): Promise<{ close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(to.port, to.host);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(from.port, from.host, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<void>;
}

describe('compose services as processes (integration: one loopback address per service, wired by the names of docker-compose.yml)', function () {
  this.timeout(240_000);
  const compose = loadCompose();
  /** 127.a.b.x: a subnet of its own, so parallel runs and other stacks never meet it. */
  const subnet = `127.${20 + Math.floor(Math.random() * 200)}.${1 + Math.floor(Math.random() * 250)}`;
  const address = (host: Host) => `${subnet}.${HOSTS[host]}`;
  const suffix = `-compose-${Math.random().toString(36).slice(2, 8)}`;
  let home: string;
  let bundleFile: string;
  let holdFile: string;
  const procs = new Map<string, Proc>();
  let workerCount = 0;
  let config: Config;
  let backend: Backend;
  let client: Client;
  let connection: Connection;
  let temporalForwarder: { close: () => Promise<void> } | undefined;

  /** A compose setting with each service name it names replaced by that service's address. */
  function resolveNames(value: string): string {
    const target = addressIn(value);
    if (!target || !(target.host in HOSTS)) return value;
    return value.replace(`${target.host}:${target.port}`, `${address(target.host as Host)}:${target.port}`);
  }

  /** The environment of a compose service, as its container would get it, resolved to this test's addresses. */
  function envOf(service: keyof typeof ENTRY, extra: Record<string, string> = {}): Record<string, string> {
    const composeEnv = serviceEnvironment(compose.services[service]!, { ...REQUIRED_ENV, MLOPS_TASK_QUEUE_SUFFIX: suffix });
    const resolved = Object.fromEntries(Object.entries(composeEnv).map(([k, v]) => [k, resolveNames(v)]));
    return {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...resolved,
      // What the container has besides the compose environment: the volume, its own address, the image's ENV.
      MLOPS_HOME: home,
      MLOPS_LISTEN_HOST: address(service === 'worker' ? 'worker' : service),
      MLOPS_CONFIG_FILE: 'none',
      MLOPS_WORKFLOW_BUNDLE: bundleFile,
      ...extra,
    };
  }

  function startProc(name: string, command: string, args: string[], env: Record<string, string>): Proc {
    const log = path.join(home, 'logs', `${name}.log`);
    const out = openSync(log, 'a');
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', out, out] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const proc = { name, child, log, exited };
    procs.set(name, proc);
    return proc;
  }

  async function stopProc(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = procs.get(name);
    if (!proc) return;
    procs.delete(name);
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill(signal);
      const timer = setTimeout(() => proc.child.kill('SIGKILL'), 20_000);
      await proc.exited;
      clearTimeout(timer);
    }
  }

  const logOf = (name: string) => fs.readFile(path.join(home, 'logs', `${name}.log`), 'utf8').catch(() => '');

  async function startService(service: keyof typeof HTTP_SERVICES, extra: Record<string, string> = {}): Promise<void> {
    const proc = startProc(service, process.execPath, ['--import', 'tsx', ENTRY[service]], envOf(service, extra));
    await eventually(`${service} to answer /health at ${address(service)}`, async () => {
      if (proc.child.exitCode !== null) throw new Error(`${service} exited: ${(await logOf(service)).slice(-2000)}`);
      const response = await fetch(`http://${address(service)}:${HTTP_SERVICES[service]}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return response?.status === 200;
    }, 90_000, 200);
  }

  async function startWorker(): Promise<Proc> {
    const name = `worker-${++workerCount}`;
    const readyFile = path.join(home, 'run', `${name}.ready`);
    const proc = startProc(name, process.execPath, ['--import', 'tsx', ENTRY.worker], envOf('worker', { MLOPS_WORKER_READY_FILE: readyFile }));
    await eventually(`${name} to be ready`, async () => {
      if (proc.child.exitCode !== null) throw new Error(`${name} exited: ${(await logOf(name)).slice(-2000)}`);
      return (await fs.readFile(readyFile, 'utf8').catch(() => '')) === String(proc.child.pid);
    }, 90_000, 200);
    return proc;
  }

  before(async () => {
    home = await tempDir('compose');
    await fs.mkdir(path.join(home, 'logs'), { recursive: true });
    holdFile = path.join(home, 'release-training');
    bundleFile = path.join(home, 'workflow-bundle.js');
    await fs.writeFile(bundleFile, (await bundleWorkflows()).code);
    // A short training configuration for the webhook's runs (the compose file leaves MLOPS_WEBHOOK_ROUTES to .env).
    await fs.writeFile(path.join(home, 'small-training.json'), JSON.stringify({ models: { 'linear-learner': { enabled: false }, xgboost: { hyperparameters: { num_round: 40 } } } }));
    await fs.writeFile(
      path.join(home, 'routes.json'),
      JSON.stringify([
        { name: 'training-data', bucket: 'mlops', prefix: 'training/', suffix: '.csv', pipeline: 'training', parameters: { configFile: 'small-training.json' } },
        { name: 'scoring-data', bucket: 'mlops', prefix: 'scoring/', suffix: '.csv', pipeline: 'scoring' },
      ]),
    );

    // The dev server's own services dial each other on 127.0.0.1 whatever --ip says, so it runs there,
    // and a forwarder in this process gives it the temporal service's address and port.
    const temporalPort = await freeLoopbackPort();
    const temporal = startProc('temporal', TEMPORAL_CLI, ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(temporalPort), '--headless', '--namespace', 'default', '--log-level', 'warn', ...searchAttributeFlags().flatMap((f) => ['--search-attribute', f])], { PATH: process.env.PATH ?? '', HOME: home });
    temporalForwarder = await forward({ host: address('temporal'), port: 7233 }, { host: '127.0.0.1', port: temporalPort });
    const minio = startProc('minio', PYTHON, ['-m', 'moto.server', '-H', address('minio'), '-p', '9000'], { PATH: process.env.PATH ?? '', HOME: home });
    await eventually('Temporal to listen', async () => {
      if (temporal.child.exitCode !== null) throw new Error(`temporal exited: ${await logOf('temporal')}`);
      return isPortOpen(temporalPort, '127.0.0.1');
    }, 60_000, 200);
    await eventually('the S3 stand-in for MinIO to answer', async () => {
      if (minio.child.exitCode !== null) throw new Error(`moto exited: ${await logOf('minio')}`);
      return (await fetch(`http://${address('minio')}:9000/moto-api/`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined))?.ok;
    }, 60_000, 200);
    // What minio-init does: the bucket (its event rules are MinIO's own; here data goes in through the webhook).
    await createAwsClients({ region: 'us-east-1', endpoint: `http://${address('minio')}:9000`, credentials: { accessKeyId: REQUIRED_ENV.MINIO_ROOT_USER, secretAccessKey: REQUIRED_ENV.MINIO_ROOT_PASSWORD } }).s3.send(new CreateBucketCommand({ Bucket: 'mlops' }));

    await Promise.all([
      startService('job-runner', { MLOPS_TEST_HOLD_TRAINING_UNTIL: holdFile }),
      startService('endpoint-host'),
      startService('webhook', { MLOPS_WEBHOOK_ROUTES: path.join(home, 'routes.json') }),
      startService('gateway'),
      startService('dashboard'),
    ]);
    await startWorker();
    config = parseConfig(envOf('worker'), REPO_ROOT);
    backend = createBackend(config);
    ({ client, connection } = await connectClient(config));
  });

  after(async () => {
    await connection?.close();
    await fs.writeFile(holdFile, '').catch(() => undefined);
    const names = [...procs.keys()];
    // Workers first, then the services, then Temporal and the S3 stand-in.
    const order = (n: string) => (n.startsWith('worker') ? 0 : n === 'temporal' || n === 'minio' ? 2 : 1);
    for (const rank of [0, 1, 2]) await Promise.all(names.filter((n) => order(n) === rank).map((n) => stopProc(n)));
    await temporalForwarder?.close();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  /** The jobs dir's record of a job. */
  const recordOf = async (kind: string, name: string): Promise<JobRecord | undefined> =>
    JSON.parse(await fs.readFile(path.join(home, 'jobs', kind, name, 'job.json'), 'utf8').catch(() => 'null')) as JobRecord | undefined;
  /** How many times the job runner spawned a process for the job (it logs each spawn). */
  const spawnsOf = async (kind: string, name: string) => (await logOf('job-runner')).split('\n').filter((l) => l.includes(`spawned ${kind} job ${name}:`)).length;
  const parentOf = async (pid: number) => {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  };

  it('when a training file is put through the webhook by name and the worker is killed and restarted while the job runs on the job runner, then one job finishes, one model version is registered, and the gateway answers', async () => {
    await fs.rm(holdFile, { force: true });
    const cliEnv = envOf('worker');
    const put = await mlops(cliEnv, 'data', 'put', DATASET, 's3://mlops/training/cars.csv', '--json');
    assert.equal(put.code, 0, put.stderr);
    const workflowId = (JSON.parse(put.stdout) as { webhook: { runs: { workflowId: string }[] } }).webhook.runs[0]!.workflowId;
    const handle = client.workflow.getHandle(workflowId);
    const { runId } = await eventually('the webhook to start the run', () => handle.describe().catch(() => undefined));
    const jobName = trainingJobNames.train({ workflowId, runId }, 'xgboost');

    // The job holds at the test's gate, as a child of the job runner, not of the worker.
    const record = await eventually('the training job to run and hold', async () => {
      const r = await recordOf('training', jobName);
      const log = await fs.readFile(path.join(home, 'jobs', 'training', jobName, 'logs.txt'), 'utf8').catch(() => '');
      return r?.process && log.includes(`waiting for ${holdFile}`) ? r : undefined;
    });
    assert.equal(record.process!.runner.kind, 'service');
    assert.equal(record.process!.runner.url, config.jobRunnerUrl);
    assert.equal(await parentOf(record.process!.identity.pid), procs.get('job-runner')!.child.pid);

    const killed = procs.get('worker-1')!;
    await stopProc('worker-1', 'SIGKILL');
    assert.equal(killed.child.signalCode, 'SIGKILL');
    assert.doesNotThrow(() => process.kill(record.process!.identity.pid, 0), 'the job runs on without the worker');
    await startWorker();
    await fs.writeFile(holdFile, '');

    const report = await waitForTrainingReport(handle as never, (r) => r);
    assert.equal(report.status, 'completed', JSON.stringify(report.error));
    assert.deepEqual(report.models.map((m) => [m.family, m.decision.outcome]), [['xgboost', 'accepted']]);
    const trainingJobs = (await fs.readdir(path.join(home, 'jobs', 'training'))).filter((n) => n.startsWith('train-xgboost-'));
    assert.deepEqual(trainingJobs, [jobName], 'one training job');
    const finished = (await recordOf('training', jobName))!;
    assert.equal(finished.description.status, 'Completed');
    assert.equal(finished.restarts, undefined, 'never started again');
    assert.equal(await spawnsOf('training', jobName), 1, 'spawned once');
    // The training activity was retried (its worker died) and the retry adopted the job by name.
    const history = await handle.fetchHistory();
    const trainAttempts = (history.events ?? []).flatMap((e) => {
      const scheduled = history.events!.find((x) => String(x.eventId) === String(e.activityTaskStartedEventAttributes?.scheduledEventId));
      return scheduled?.activityTaskScheduledEventAttributes?.activityType?.name === 'runTrainingJob' ? [e.activityTaskStartedEventAttributes!.attempt ?? 1] : [];
    });
    assert.ok(Math.max(...trainAttempts) >= 2, `a retried attempt adopted the job (attempts: ${trainAttempts.join(',')})`);
    const versions = await backend.registry.listVersions('xgboost');
    assert.equal(versions.length, 1, 'one model version');
    assert.equal(versions[0]!.trainingJobName, jobName);

    // The rest of the wiring, by name: the CLI to the gateway, the gateway to the endpoint host, the dashboard.
    const sample = (await fs.readFile(path.join(REPO_ROOT, 'data', 'scoring-sample.csv'), 'utf8')).split('\n').slice(0, 4).join('\n');
    await fs.writeFile(path.join(home, 'sample.csv'), `${sample}\n`);
    const predicted = await mlops(cliEnv, 'predict', path.join(home, 'sample.csv'), '--json');
    assert.equal(predicted.code, 0, predicted.stderr);
    const answer = JSON.parse(predicted.stdout) as { predictions: { prediction: number }[] };
    assert.equal(answer.predictions.length, 3);
    assert.ok(answer.predictions.every((p) => Number.isFinite(p.prediction) && p.prediction > 0));
    const dashboard = await mlops(cliEnv, 'dashboard', '--json');
    assert.equal(dashboard.code, 0, dashboard.stderr);
    assert.deepEqual(JSON.parse(dashboard.stdout), { url: `http://${address('dashboard')}:8239`, answers: true });
  });

  it('when three workers share a burst of 10 training runs, then every step of every run has one job, started once, and each worker takes part', async () => {
    await fs.writeFile(holdFile, '');
    const liveWorkers = () => [...procs.values()].filter((p) => p.name.startsWith('worker-'));
    while (liveWorkers().length < 3) await startWorker();
    const workers = liveWorkers();
    assert.equal(workers.length, 3);
    const configFile = path.join(home, 'burst-training.json');
    // Rejected at the RMSE threshold (step 5): three jobs a run (pre-processing, data-quality baseline, training).
    await fs.writeFile(configFile, JSON.stringify({ rmseThreshold: 1, models: { 'linear-learner': { enabled: false }, xgboost: { hyperparameters: { num_round: 10 } } } }));

    const runs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => startTraining(client, backend, config, { data: DATASET, configFile, deploy: false, newRun: true, runName: `burst-${i}${suffix}`, trigger: 'compose-burst' })),
    );
    const reports = await Promise.all(runs.map((r) => waitForTrainingReport(r.handle, (id) => id)));

    assert.deepEqual(reports.map((r) => r.status), Array(10).fill('completed'), JSON.stringify(reports.map((r) => r.error)));
    assert.ok(reports.every((r) => r.models[0]?.decision.outcome === 'rejected'));
    for (const run of runs) {
      const { runId } = await run.handle.describe();
      const ref = { workflowId: run.workflowId, runId };
      const steps: [string, string][] = [
        ['processing', trainingJobNames.preprocess(ref)],
        ['processing', trainingJobNames.dataQualityBaseline(ref)],
        ['training', trainingJobNames.train(ref, 'xgboost')],
      ];
      for (const [kind, name] of steps) {
        const record = await recordOf(kind, name);
        assert.equal(record?.description.status, 'Completed', `${kind} job ${name}`);
        assert.equal(record?.restarts, undefined, `${name} was never started again`);
        assert.equal(await spawnsOf(kind, name), 1, `${name} spawned once`);
      }
      assert.equal(await recordOf('processing', trainingJobNames.modelQualityBaseline(ref, 'xgboost')), null, 'no baseline of a rejected model');
    }
    // Each worker took part: its identity (pid@host) started tasks of these runs.
    const identities = new Set<string>();
    for (const run of runs) {
      for (const event of (await run.handle.fetchHistory()).events ?? []) {
        const identity = event.activityTaskStartedEventAttributes?.identity ?? event.workflowTaskStartedEventAttributes?.identity;
        if (identity) identities.add(identity.split('@')[0]!);
      }
    }
    assert.deepEqual([...identities].sort(), workers.map((w) => String(w.child.pid)).sort(), 'tasks of the burst ran on each of the three workers');
  });

  it('when the endpoint host goes away, then the gateway says so on /health (503) while /ping still answers, and recovers once it is back', async () => {
    const gateway = `http://${address('gateway')}:8237`;
    assert.equal((await fetch(`${gateway}/health`)).status, 200);

    await stopProc('endpoint-host');
    const down = await fetch(`${gateway}/health`);
    const body = (await down.json()) as { checks: Record<string, string> };

    assert.equal(down.status, 503);
    assert.notEqual(body.checks['endpoint-host'], 'ok');
    assert.equal((await fetch(`${gateway}/ping`)).status, 200);
    await startService('endpoint-host');
    assert.equal((await fetch(`${gateway}/health`)).status, 200);
  });
});
