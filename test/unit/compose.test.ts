import assert from 'node:assert/strict';
import { PROCESSING_MODULES } from '../../activities/backends/aws/images';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { defaultRoutes } from '../../client/webhook/routes';
import { parseConfig, REPO_ROOT } from '../../common/config/parse';
import { CONFIG_ENV, stackPorts } from '../../common/config/schema';
import { searchAttributeFlags } from '../../common/search-attributes';

/**
 * Static checks of docker-compose.yml and Dockerfile (there is no Docker engine where the tests
 * run): the Compose Specification schema, then what the schema cannot know: that entry points and
 * mounted scripts exist, that the wiring (depends_on, health checks, volumes, ports) holds
 * together, and that the settings agree with the project's own (ports, variables, search
 * attributes, webhook routes).
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Service = Record<string, Json> & {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  network_mode?: string;
  restart?: string;
};
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, Json>;
}

const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');
const DOCKERFILE = path.join(REPO_ROOT, 'Dockerfile');
const PORT_BASE = 7233;

/** The project's services and their entry points, as `mlops stack up` starts them (client/stack/stack.ts). */
const PROJECT_SERVICES: Record<string, { entry: string; port?: keyof ReturnType<typeof stackPorts> }> = {
  worker: { entry: 'workers/main.ts' },
  'endpoint-host': { entry: 'workers/endpoint-host.ts', port: 'endpointHost' },
  gateway: { entry: 'client/gateway/main.ts', port: 'gateway' },
  webhook: { entry: 'client/webhook/main.ts', port: 'webhook' },
  dashboard: { entry: 'client/dashboard/main.ts', port: 'dashboard' },
};
const POD = 'mlops-net';

let validator: ValidateFunction | undefined;

/** The Compose Specification JSON schema, as shipped by the pinned dclint package (compiled once). */
function composeSchemaValidator(): ValidateFunction {
  validator ??= compileComposeSchema();
  return validator;
}

function compileComposeSchema(): ValidateFunction {
  const file = path.join(path.dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Json>;
  assert.equal(schema.title, 'Compose Specification', `${file} is not the Compose Specification schema`);
  // The meta-schema URI it names is not one Ajv registers; the schema itself is plain draft-07.
  delete schema.$schema;
  const ajv = new Ajv({ allErrors: true, strict: false });
  return ajv.compile(schema);
}

function loadCompose(): ComposeFile {
  // merge: the `<<: *anchor` keys docker compose resolves (YAML merge keys).
  return YAML.parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
}

/** Compose's variable interpolation with an empty environment plus `given`; `${X:?}` takes `required[X]`. */
function interpolate(value: string, given: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (match === '$$') return '$';
    const set = given[name!];
    if (op === ':-' || op === '-') return set !== undefined && (op === '-' || set !== '') ? set : (arg ?? '');
    if (op === ':?' || op === '?') {
      if (set === undefined || (op === ':?' && set === '')) throw new Error(`required variable ${name}: ${arg}`);
      return set;
    }
    return set ?? '';
  });
}

/** A service's command (or entrypoint) as an argument list. */
function argv(service: Service): string[] {
  return [...(service.entrypoint ?? []), ...(service.command ?? [])];
}

function isOneShot(service: Service): boolean {
  return service.restart === 'no' || /^on-failure(:\d+)?$/.test(service.restart ?? '');
}

/** `source:target[:mode]` of a short-syntax volume. */
function splitVolume(spec: string): { source: string; target: string } {
  const [source, target] = spec.split(':');
  return { source: source!, target: target ?? source! };
}

function isBindMount(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
}

/** Host side of a published port: `ip:host:container`, `host:container` or `container`. */
function hostBinding(spec: string): { ip: string; port: number } | undefined {
  const parts = spec.split('/')[0]!.split(':');
  if (parts.length === 1) return undefined;
  const ip = parts.length === 3 ? parts[0]! : '0.0.0.0';
  return { ip, port: Number(parts[parts.length - 2]) };
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function dockerInstructions(text: string): { keyword: string; args: string }[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

/** .dockerignore patterns as matchers of context-relative paths (`*`, `**`, no negation). */
function dockerIgnoreMatchers(text: string): RegExp[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((pattern) => {
      assert.ok(!pattern.startsWith('!'), `.dockerignore: negations are not understood by this test: ${pattern}`);
      const body = pattern
        .replace(/^\/+/, '')
        .split('**/')
        .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))
        .join('(?:.*/)?');
      return new RegExp(`^${body}$`);
    });
}

function isIgnored(relPath: string, matchers: RegExp[]): boolean {
  const segments = relPath.replace(/\/+$/, '').split('/');
  for (let i = 1; i <= segments.length; i++) {
    const prefix = segments.slice(0, i).join('/');
    if (matchers.some((m) => m.test(prefix))) return true;
  }
  return false;
}

describe('docker-compose.yml and Dockerfile (static)', () => {
  const compose = loadCompose();
  const services = compose.services;
  const ports = stackPorts(PORT_BASE);

  it('when validated against the Compose Specification JSON schema, then it conforms', () => {
    const validate = composeSchemaValidator();
    const ok = validate(compose);
    assert.ok(ok, `docker-compose.yml does not conform:\n${(validate.errors ?? []).map((e) => `  ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n')}`);
  });

  it('when a file breaks the specification, then the same validator rejects it (the check is live)', () => {
    const validate = composeSchemaValidator();
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, Json>> };
    broken.services.worker!.healthcheck = { test: ['CMD', 'true'], intervall: '5s' };
    assert.equal(validate(broken), false);
    const unknownKey = structuredClone(compose) as unknown as { services: Record<string, Record<string, Json>> };
    unknownKey.services.gateway!.dependsOn = ['worker'];
    assert.equal(validate(unknownKey), false);
  });

  it('when a project service starts, then it runs the same entry point as `mlops stack up`, and that file exists', () => {
    const stackSource = readFileSync(path.join(REPO_ROOT, 'client', 'stack', 'stack.ts'), 'utf8');
    for (const [name, { entry }] of Object.entries(PROJECT_SERVICES)) {
      const service = services[name];
      assert.ok(service, `service ${name} is missing`);
      assert.deepEqual(argv(service), ['node', '--import', 'tsx', entry], `${name}: command`);
      assert.ok(existsSync(path.join(REPO_ROOT, entry)), `${name}: ${entry} does not exist`);
      const asStackWritesIt = entry === 'workers/main.ts' ? "'workers', 'main.ts'" : `'${entry}'`;
      assert.ok(stackSource.includes(asStackWritesIt), `${name}: client/stack/stack.ts does not start ${entry}`);
      assert.equal(service.network_mode, `service:${POD}`, `${name}: joins the pod's network namespace`);
      assert.equal(service.build && (service.build as Record<string, Json>).dockerfile, 'Dockerfile', `${name}: built from the one Dockerfile`);
    }
  });

  it('when a service runs a script or mounts a directory of the repo, then it exists (and scripts are executable)', () => {
    for (const [name, service] of Object.entries(services)) {
      const mounts = new Map<string, string>();
      for (const spec of service.volumes ?? []) {
        const { source, target } = splitVolume(spec);
        if (!isBindMount(source)) continue;
        const local = path.resolve(REPO_ROOT, source);
        assert.ok(local.startsWith(REPO_ROOT + path.sep), `${name}: bind mount ${source} leaves the repository`);
        assert.ok(existsSync(local), `${name}: bind mount source ${source} does not exist`);
        mounts.set(target, local);
      }
      const args = argv(service);
      for (const arg of args) {
        // A script inside a bind mount (init services), or one in the project image (the pod).
        for (const [target, local] of mounts) {
          if (arg.startsWith(`${target}/`)) {
            const file = path.join(local, arg.slice(target.length + 1));
            assert.ok(existsSync(file), `${name}: ${arg} (${path.relative(REPO_ROOT, file)}) does not exist`);
            assert.ok(isExecutable(file), `${name}: ${path.relative(REPO_ROOT, file)} is not executable`);
          }
        }
        if (service.build && /^deploy\/.+\.sh$/.test(arg)) {
          assert.ok(isExecutable(path.join(REPO_ROOT, arg)), `${name}: ${arg} does not exist or is not executable`);
        }
      }
    }
  });

  it('when the Dockerfile copies from the build context, then every source exists and .dockerignore keeps it', () => {
    const instructions = dockerInstructions(readFileSync(DOCKERFILE, 'utf8'));
    const ignore = dockerIgnoreMatchers(readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8'));
    const copies = instructions.filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args));
    assert.ok(copies.length > 0);
    for (const copy of copies) {
      const words = copy.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      for (const source of words.slice(0, -1)) {
        assert.ok(existsSync(path.join(REPO_ROOT, source)), `Dockerfile: COPY ${source}: not in the repository`);
        assert.ok(!isIgnored(source, ignore), `Dockerfile: COPY ${source}: excluded by .dockerignore`);
      }
    }
    // Every entry point and script the compose file runs from the image is copied in.
    const copied = copies.flatMap((c) => c.args.split(/\s+/).filter((w) => !w.startsWith('--')).slice(0, -1));
    for (const { entry } of Object.values(PROJECT_SERVICES)) {
      assert.ok(copied.some((source) => entry === source || entry.startsWith(`${source.replace(/\/$/, '')}/`)), `Dockerfile: ${entry} is not copied into the image`);
    }
    const stages = instructions.filter((i) => i.keyword === 'FROM');
    assert.ok(stages.length >= 2, 'a multi-stage build');
    const users = instructions.filter((i) => i.keyword === 'USER');
    assert.ok(users.length > 0 && !/^(root|0)(:|$)/.test(users[users.length - 1]!.args), 'the image runs as a non-root user');
    // SageMaker processing jobs on this image run `python3 -m <module>` from the working dir: the package must import.
    const workdir = instructions.filter((i) => i.keyword === 'WORKDIR').pop()?.args ?? '/';
    const pythonPath = /(?:^|\s)PYTHONPATH=(\S+)/.exec(instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' '))?.[1];
    assert.ok(pythonPath?.startsWith(workdir), `Dockerfile: ENV PYTHONPATH must name a dir under ${workdir}`);
    const pythonDir = path.relative(workdir, pythonPath ?? workdir);
    for (const module of Object.values(PROCESSING_MODULES)) {
      const file = path.join(REPO_ROOT, pythonDir, ...module.split('.'), '__main__.py');
      assert.ok(existsSync(file), `python3 -m ${module} would not import in the image (no ${path.relative(REPO_ROOT, file)})`);
      assert.ok(copied.some((source) => pythonDir.startsWith(source.replace(/\/$/, ''))), `Dockerfile: ${pythonPath} is not copied into the image`);
    }
    const nodeImage = /ARG NODE_IMAGE=(\S+)/.exec(readFileSync(DOCKERFILE, 'utf8'))?.[1];
    assert.match(nodeImage ?? '', /^node:20\.\d+\.\d+-/, 'the Node.js base image is pinned to a Node 20 release');
  });

  it('when a service depends on another, then the target exists, the condition fits it, and there is no cycle', () => {
    const dependedOnAsOneShot = new Set<string>();
    for (const [name, service] of Object.entries(services)) {
      for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
        const other = services[target];
        assert.ok(other, `${name}: depends on ${target}, which is not a service`);
        if (condition === 'service_healthy') assert.ok(other.healthcheck, `${name}: waits for ${target} to be healthy, but ${target} has no health check`);
        else if (condition === 'service_completed_successfully') {
          assert.ok(isOneShot(other), `${name}: waits for ${target} to complete, but ${target} restarts forever`);
          dependedOnAsOneShot.add(target);
        } else assert.fail(`${name}: depends on ${target} with condition ${condition}; use service_healthy (or service_completed_successfully for an init service)`);
      }
      if (service.network_mode?.startsWith('service:')) {
        const owner = service.network_mode.slice('service:'.length);
        assert.equal(service.depends_on?.[owner]?.condition, 'service_healthy', `${name}: shares ${owner}'s network namespace, so it waits for ${owner} to be healthy`);
      }
    }
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, trail: string[]): void => {
      if (done.has(name)) return;
      assert.ok(!visiting.has(name), `depends_on cycle: ${[...trail, name].join(' -> ')}`);
      visiting.add(name);
      for (const target of Object.keys(services[name]?.depends_on ?? {})) visit(target, [...trail, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(services)) visit(name, []);
    // What others wait to complete runs once: a health check there would never be looked at.
    for (const name of dependedOnAsOneShot) assert.equal(services[name]!.healthcheck, undefined, `${name}: an init service needs no health check`);
  });

  it('when a service runs for good, then it has a health check; the project services answer GET /ping on their stack port', () => {
    for (const [name, service] of Object.entries(services)) {
      if (isOneShot(service)) continue;
      assert.ok(service.healthcheck && Array.isArray(service.healthcheck.test) && service.healthcheck.test.length > 1, `${name}: no health check`);
      assert.ok(['CMD', 'CMD-SHELL'].includes(service.healthcheck.test[0]!), `${name}: health check test must start with CMD or CMD-SHELL`);
    }
    for (const [name, { port }] of Object.entries(PROJECT_SERVICES)) {
      const test = services[name]!.healthcheck!.test.join(' ');
      if (port) assert.ok(test.includes(`http://127.0.0.1:${ports[port]}/ping`), `${name}: health check should GET /ping on port ${ports[port]} (stackPorts), got: ${test}`);
      else assert.ok(test.includes(services[name]!.environment!.MLOPS_WORKER_READY_FILE!), `${name}: health check should read MLOPS_WORKER_READY_FILE`);
    }
  });

  it('when a service uses a named volume, then it is declared, and every declared volume is used', () => {
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    const used = new Set<string>();
    for (const [name, service] of Object.entries(services)) {
      for (const spec of service.volumes ?? []) {
        const { source } = splitVolume(spec);
        if (isBindMount(source)) continue;
        assert.ok(declared.has(source), `${name}: volume ${source} is not declared under volumes:`);
        used.add(source);
      }
    }
    assert.deepEqual([...declared].sort(), [...used].sort(), 'declared but unused volumes');
    // One data dir for every project service: the local backend keeps everything under MLOPS_HOME.
    for (const name of Object.keys(PROJECT_SERVICES)) {
      const home = services[name]!.environment!.MLOPS_HOME!;
      assert.ok((services[name]!.volumes ?? []).includes(`mlops-home:${home}`), `${name}: mounts mlops-home at MLOPS_HOME (${home})`);
    }
  });

  it('when ports are published, then no two bind the same host port, and the pod forwards exactly the stack ports', () => {
    const seen = new Map<string, string>();
    for (const [name, service] of Object.entries(services)) {
      if (service.network_mode?.startsWith('service:')) assert.equal(service.ports, undefined, `${name}: shares a network namespace and cannot publish ports`);
      for (const spec of service.ports ?? []) {
        const binding = hostBinding(spec);
        assert.ok(binding, `${name}: ${spec}: give the host port explicitly`);
        for (const [key, owner] of seen) {
          const [ip, port] = key.split(' ');
          const clash = Number(port) === binding.port && (ip === binding.ip || ip === '0.0.0.0' || binding.ip === '0.0.0.0');
          assert.ok(!clash, `host port ${binding.port} is published by both ${owner} and ${name}`);
        }
        seen.set(`${binding.ip} ${binding.port}`, name);
      }
    }
    const httpPorts = Object.values(PROJECT_SERVICES).flatMap(({ port }) => (port ? [ports[port]] : [])).sort();
    const pod = services[POD]!;
    assert.deepEqual(argv(pod).slice(1).map(Number).sort(), httpPorts, 'forward.sh arguments = the HTTP ports of the project services');
    assert.deepEqual((pod.ports ?? []).map((spec) => hostBinding(spec)!.port).sort(), httpPorts);
    assert.ok(existsSync(path.join(REPO_ROOT, argv(pod)[0]!)));
    // The CLI's Temporal UI links point at MLOPS_PORT_BASE + 1000, and its default address at the base.
    assert.ok(services['temporal-ui']!.ports!.some((spec) => hostBinding(spec)!.port === ports.temporalUi));
    assert.ok(services.temporal!.ports!.some((spec) => hostBinding(spec)!.port === ports.temporal));
  });

  it('when an image is pulled, then its tag is pinned (no latest, no bare name)', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) continue;
      assert.match(service.image ?? '', /^[\w./-]+:(?!latest$)[\w.-]+$/, `${name}: image ${service.image} is not pinned`);
    }
  });

  it('when the project services read their environment, then every MLOPS_* variable is one the project reads and the configuration parses', () => {
    const sources = ['common/config/parse.ts', 'workers/main.ts', 'client/stack/stack.ts'].map((f) => readFileSync(path.join(REPO_ROOT, f), 'utf8')).join('\n');
    const known = new Set<string>([...Object.values(CONFIG_ENV), 'MLOPS_WORKER_READY_FILE', 'MLOPS_WORKFLOW_BUNDLE']);
    const required = { MLOPS_WEBHOOK_TOKEN: 'a-token-of-at-least-16-chars', MINIO_ROOT_USER: 'admin', MINIO_ROOT_PASSWORD: 'password123' };
    for (const name of Object.keys(PROJECT_SERVICES)) {
      const raw = services[name]!.environment!;
      for (const key of Object.keys(raw).filter((k) => k.startsWith('MLOPS_'))) {
        assert.ok(known.has(key) || sources.includes(`env.${key}`) || sources.includes(`'${key}'`), `${name}: ${key} is not read by the project`);
      }
      const env = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(String(v), required)]));
      const config = parseConfig(env, '/app');
      assert.equal(config.home, '/var/lib/mlops');
      assert.equal(config.temporalAddress, 'temporal:7233');
      assert.equal(config.portBase, PORT_BASE);
      assert.equal(config.webhookToken, required.MLOPS_WEBHOOK_TOKEN);
      assert.throws(() => interpolate(raw.MLOPS_WEBHOOK_TOKEN!, {}), /required variable MLOPS_WEBHOOK_TOKEN/, 'the token has no default');
    }
  });

  it('when MinIO stores a data drop, then it notifies the webhook route with the same token, bucket and prefixes', () => {
    const minio = services.minio!.environment!;
    const ids = Object.keys(minio).filter((k) => k.startsWith('MINIO_NOTIFY_WEBHOOK_ENABLE_')).map((k) => k.slice('MINIO_NOTIFY_WEBHOOK_ENABLE_'.length));
    assert.equal(ids.length, 1, 'one webhook notification target');
    const id = ids[0]!;
    assert.equal(minio[`MINIO_NOTIFY_WEBHOOK_ENABLE_${id}`], 'on');
    assert.equal(minio[`MINIO_NOTIFY_WEBHOOK_ENDPOINT_${id}`], `http://${POD}:${ports.webhook}/hooks/minio`);
    assert.equal(minio[`MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_${id}`], services.webhook!.environment!.MLOPS_WEBHOOK_TOKEN);
    const init = services['minio-init']!.environment!;
    assert.equal(init.NOTIFY_TARGET_ARN, `arn:minio:sqs::${id}:webhook`);
    assert.equal(init.BUCKET, services.webhook!.environment!.MLOPS_BUCKET);
    assert.equal(init.MINIO_URL, 'http://minio:9000');
    const routes = defaultRoutes('mlops');
    assert.deepEqual(init.PREFIXES!.split(/\s+/), routes.map((r) => r.prefix));
    assert.ok(routes.every((r) => r.suffix === '.csv'), 'minio/init.sh subscribes *.csv only');
    assert.match(readFileSync(path.join(REPO_ROOT, 'deploy', 'minio', 'init.sh'), 'utf8'), /--suffix \.csv/);
  });

  it('when Temporal is set up, then the namespace and search attributes are the ones the project uses', () => {
    const ns = services['temporal-namespace']!.environment!;
    assert.deepEqual(ns.SEARCH_ATTRIBUTES!.split(/\s+/), searchAttributeFlags());
    assert.equal(ns.NAMESPACE, services.worker!.environment!.MLOPS_TEMPORAL_NAMESPACE);
    assert.equal(ns.TEMPORAL_ADDRESS, services.worker!.environment!.MLOPS_TEMPORAL_ADDRESS);
    const temporal = services.temporal!.environment!;
    const dynamicConfig = path.join(REPO_ROOT, 'deploy', 'temporal', 'dynamicconfig', path.basename(temporal.DYNAMIC_CONFIG_FILE_PATH!));
    assert.ok(statSync(dynamicConfig).isFile(), `${dynamicConfig} is missing`);
    const parsed = YAML.parse(readFileSync(dynamicConfig, 'utf8')) as Record<string, { value: Json }[]>;
    assert.equal(parsed['frontend.enableUpdateWorkflowExecution']?.[0]?.value, true, 'the approval workflows use Updates');
    // Same version of server and admin tools (the schema tools must match the server).
    const version = (image: string | undefined) => image?.split(':')[1];
    assert.equal(version(services['temporal-schema']!.image), version(services.temporal!.image));
    assert.equal(version(services['temporal-namespace']!.image), version(services.temporal!.image));
  });
});
