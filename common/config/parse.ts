import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configSchema, CONFIG_ENV, DEFAULT_SNS_CERT_HOSTS, SECRET_KEYS, stackPorts, type Config } from './schema';
import { DEFAULT_TASK_QUEUES, type TaskQueues } from '../task-queues';

/** Thrown when the configuration is unusable; the message lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The repository root (this file lives in common/config/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The settings file read when present: MLOPS_CONFIG_FILE, else `mlops.config.json` in the working dir. */
export const DEFAULT_CONFIG_FILE = 'mlops.config.json';
/** `MLOPS_CONFIG_FILE=none`: read no settings file (the stack's own processes get every setting in their environment). */
export const NO_CONFIG_FILE = 'none';

/**
 * Settings from the file, keyed by their environment variable names (one vocabulary for both, e.g.
 * `{ "MLOPS_BACKEND": "aws", "MLOPS_AWS_REGION": "eu-west-1" }`); variables set in the environment win.
 */
function readConfigFile(env: NodeJS.ProcessEnv, cwd: string): { file?: string; values: Record<string, string> } {
  const explicit = env.MLOPS_CONFIG_FILE;
  if (explicit === NO_CONFIG_FILE) return { values: {} };
  const file = path.resolve(cwd, explicit || DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return { values: {} };
    throw new ConfigError([`MLOPS_CONFIG_FILE: cannot read ${file}: ${(err as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`${file}: not valid JSON: ${(err as Error).message}`]);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError([`${file}: must be a JSON object of settings, e.g. { "MLOPS_BACKEND": "aws" }`]);
  const known = new Set(Object.values(CONFIG_ENV));
  const problems: string[] = [];
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (!known.has(key)) problems.push(`${file}: unknown setting '${key}' (settings are the MLOPS_* variables of \`mlops config\`)`);
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) values[key] = value.join(',');
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values[key] = String(value);
    else problems.push(`${file}: ${key} must be a string, number or boolean`);
  }
  if (problems.length) throw new ConfigError(problems);
  return { file, values };
}

/**
 * Builds the configuration from environment variables over the settings file (when present), with
 * defaults that run the local demo from the repository root.
 */
export function parseConfig(processEnv: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Config {
  const fromFile = readConfigFile(processEnv, cwd);
  // An empty variable does not hide the file's value (compose files pass `${VAR:-}` for every setting).
  const fromEnv = Object.entries(processEnv).filter(([k, v]) => v !== undefined && !(v === '' && fromFile.values[k] !== undefined));
  const env: NodeJS.ProcessEnv = { ...fromFile.values, ...Object.fromEntries(fromEnv) };
  const portBase = env.MLOPS_PORT_BASE ?? '7233';
  const raw = {
    home: path.resolve(cwd, env.MLOPS_HOME ?? '.mlops'),
    portBase,
    backend: env.MLOPS_BACKEND ?? 'local',
    temporalAddress: env.MLOPS_TEMPORAL_ADDRESS ?? `127.0.0.1:${portBase}`,
    listenHost: env.MLOPS_LISTEN_HOST || '127.0.0.1',
    // Where each service is reached: on this machine by default, by name in a compose network.
    endpointHostUrl: env.MLOPS_ENDPOINT_HOST_URL || localUrl(portBase, 'endpointHost'),
    gatewayUrl: env.MLOPS_GATEWAY_URL || localUrl(portBase, 'gateway'),
    webhookUrl: env.MLOPS_WEBHOOK_URL || localUrl(portBase, 'webhook'),
    dashboardUrl: env.MLOPS_DASHBOARD_URL || localUrl(portBase, 'dashboard'),
    temporalUiUrl: env.MLOPS_TEMPORAL_UI_URL || localUrl(portBase, 'temporalUi'),
    jobRunnerUrl: env.MLOPS_JOB_RUNNER_URL || undefined,
    namespace: env.MLOPS_TEMPORAL_NAMESPACE ?? 'default',
    bucket: env.MLOPS_BUCKET ?? 'mlops',
    python: env.MLOPS_PYTHON ?? path.join(REPO_ROOT, '.venv', 'bin', 'python'),
    projectsDir: path.resolve(cwd, env.MLOPS_PROJECTS_DIR ?? path.join(REPO_ROOT, 'projects')),
    temporalCli: env.MLOPS_TEMPORAL_CLI ?? path.join(REPO_ROOT, '.venv', 'bin', 'temporal'),
    notifyWebhookUrl: env.MLOPS_NOTIFY_WEBHOOK_URL || undefined,
    taskQueueSuffix: env.MLOPS_TASK_QUEUE_SUFFIX ?? '',
    jobPollIntervalMs: env.MLOPS_JOB_POLL_MS ?? '100',
    forkServer: (env.MLOPS_FORK_SERVER || 'true').toLowerCase(),
    gatewayCombiner: env.MLOPS_GATEWAY_COMBINER ?? 'max',
    gatewayTimeoutMs: env.MLOPS_GATEWAY_TIMEOUT_MS ?? '2000',
    gatewayEndpointConcurrency: env.MLOPS_GATEWAY_ENDPOINT_CONCURRENCY ?? '16',
    gatewayBulkConcurrency: env.MLOPS_GATEWAY_BULK_CONCURRENCY ?? '2',
    gatewayOnPartial: env.MLOPS_GATEWAY_ON_PARTIAL ?? 'answer',
    gatewayMaxBodyBytes: env.MLOPS_GATEWAY_MAX_BODY ?? String(1024 * 1024),
    // Derived from the bucket only when the bucket is valid: a bad bucket is reported once, as itself.
    groundTruthUri: env.MLOPS_GROUND_TRUTH_URI ?? `s3://${/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(env.MLOPS_BUCKET ?? 'mlops') ? (env.MLOPS_BUCKET ?? 'mlops') : 'mlops'}/ground-truth`,
    retrainingPolicy: env.MLOPS_RETRAINING_POLICY || 'notify',
    retrainingCoolDown: env.MLOPS_RETRAINING_COOL_DOWN || '24 hours',
    retrainingDataUri: env.MLOPS_RETRAINING_DATA_URI || undefined,
    retrainingApprovalTimeout: env.MLOPS_RETRAINING_APPROVAL_TIMEOUT || '3 days',
    webhookToken: env.MLOPS_WEBHOOK_TOKEN || undefined,
    webhookHmacSecret: env.MLOPS_WEBHOOK_HMAC_SECRET || undefined,
    webhookRoutes: env.MLOPS_WEBHOOK_ROUTES ? path.resolve(cwd, env.MLOPS_WEBHOOK_ROUTES) : undefined,
    webhookSnsCertHosts: env.MLOPS_WEBHOOK_SNS_CERT_HOSTS || DEFAULT_SNS_CERT_HOSTS,
    webhookSnsTopics: (env.MLOPS_WEBHOOK_SNS_TOPICS ?? '').split(',').map((t) => t.trim()).filter((t) => t.length > 0),
    webhookSnsMaxAgeSeconds: env.MLOPS_WEBHOOK_SNS_MAX_AGE_SECONDS ?? '3600',
    webhookMaxBodyBytes: env.MLOPS_WEBHOOK_MAX_BODY ?? String(256 * 1024),
    webhookDispatch: env.MLOPS_WEBHOOK_DISPATCH ?? 'queued',
    awsRegion: env.MLOPS_AWS_REGION || 'us-east-1',
    awsRoleArn: env.MLOPS_AWS_ROLE_ARN || undefined,
    awsEndpoint: env.MLOPS_AWS_ENDPOINT || undefined,
    s3UpstreamEndpoint: env.MLOPS_S3_UPSTREAM_ENDPOINT || undefined,
    s3UpstreamAccessKeyId: env.MLOPS_S3_UPSTREAM_ACCESS_KEY_ID || undefined,
    s3UpstreamSecretAccessKey: env.MLOPS_S3_UPSTREAM_SECRET_ACCESS_KEY || undefined,
    awsSnsTopicArn: env.MLOPS_AWS_SNS_TOPIC_ARN || undefined,
    awsNamePrefix: env.MLOPS_AWS_NAME_PREFIX || 'mlops',
    awsVolumeSizeGb: env.MLOPS_AWS_VOLUME_SIZE_GB ?? '30',
    awsXgboostImage: env.MLOPS_AWS_XGBOOST_IMAGE || undefined,
    awsLinearLearnerImage: env.MLOPS_AWS_LINEAR_LEARNER_IMAGE || undefined,
    awsProcessingImage: env.MLOPS_AWS_PROCESSING_IMAGE || undefined,
    awsModelMonitorImage: env.MLOPS_AWS_MODEL_MONITOR_IMAGE || undefined,
    awsVolumeKmsKeyId: env.MLOPS_AWS_VOLUME_KMS_KEY_ID || undefined,
    awsOutputKmsKeyId: env.MLOPS_AWS_OUTPUT_KMS_KEY_ID || undefined,
    awsSubnets: list(env.MLOPS_AWS_SUBNETS),
    awsSecurityGroupIds: list(env.MLOPS_AWS_SECURITY_GROUP_IDS),
    awsNetworkIsolation: (env.MLOPS_AWS_NETWORK_ISOLATION || 'false').toLowerCase(),
    awsInterContainerEncryption: (env.MLOPS_AWS_INTER_CONTAINER_ENCRYPTION || 'false').toLowerCase(),
    awsTags: keyValues(env.MLOPS_AWS_TAGS),
    awsKeepEndpointConfigs: env.MLOPS_AWS_KEEP_ENDPOINT_CONFIGS || '3',
    awsEcrRepository: env.MLOPS_AWS_ECR_REPOSITORY || 'temporal-mlops-algorithms',
  };
  const parsed = configSchema.safeParse(raw);
  const vpcProblem =
    parsed.success && parsed.data.awsSubnets.length > 0 !== parsed.data.awsSecurityGroupIds.length > 0
      ? ['MLOPS_AWS_SUBNETS / MLOPS_AWS_SECURITY_GROUP_IDS: set both (a VPC needs subnets and security groups) or neither']
      : [];
  if (vpcProblem.length) throw new ConfigError(vpcProblem);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = issue.path[0] as keyof Config | undefined;
        const envName = key ? CONFIG_ENV[key] : 'configuration';
        const where = fromFile.file && processEnv[envName] === undefined && fromFile.values[envName] !== undefined ? ` (from ${fromFile.file})` : '';
        return `${envName}${where}: ${issue.message}`;
      }),
    );
  }
  return parsed.data;
}

/** http://127.0.0.1:<port of the service>, from a port base that may still be invalid (then the schema reports the base once). */
function localUrl(portBase: string, service: keyof ReturnType<typeof stackPorts>): string {
  const base = /^\d+$/.test(portBase) ? Number(portBase) : 7233;
  return `http://127.0.0.1:${stackPorts(base)[service]}`;
}

function list(text: string | undefined): string[] {
  return (text ?? '').split(',').map((t) => t.trim()).filter((t) => t.length > 0);
}

/** `key=value,key=value` (a value may hold '='); a pair without '=' is kept whole as a key so the schema names it. */
function keyValues(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of list(text)) {
    const at = pair.indexOf('=');
    out[at < 0 ? pair : pair.slice(0, at).trim()] = at < 0 ? '' : pair.slice(at + 1).trim();
  }
  return out;
}

export function taskQueuesOf(config: Pick<Config, 'taskQueueSuffix'>): TaskQueues {
  return {
    orchestration: DEFAULT_TASK_QUEUES.orchestration + config.taskQueueSuffix,
    compute: DEFAULT_TASK_QUEUES.compute + config.taskQueueSuffix,
  };
}

/** The configuration as the environment variables that produce it (for the processes the stack starts). */
export function configToEnv(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, envName] of Object.entries(CONFIG_ENV) as [keyof Config, string][]) {
    const value = config[key];
    if (value === undefined) continue;
    out[envName] = envValue(value);
  }
  return out;
}

function envValue(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (value && typeof value === 'object') return Object.entries(value as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
  return String(value);
}

/** A printable copy with secrets masked (URLs may carry tokens). */
export function describeConfig(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, envName] of Object.entries(CONFIG_ENV) as [keyof Config, string][]) {
    const value = config[key];
    if (value === undefined) continue;
    out[envName] = key === 'notifyWebhookUrl' ? maskUrl(String(value)) : SECRET_KEYS.has(key) ? '***' : envValue(value);
  }
  return out;
}

/**
 * Webhook URLs often carry their secret in the user info, the path (Slack, Discord) or the query:
 * only the scheme, host and port are shown.
 */
function maskUrl(text: string): string {
  try {
    const url = new URL(text);
    const hidden = url.username || url.password || (url.pathname && url.pathname !== '/') || url.search;
    return `${url.protocol}//${url.host}${hidden ? '/***' : ''}`;
  } catch {
    return '***';
  }
}

export { z };
