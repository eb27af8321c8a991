import path from 'node:path';
import { z } from 'zod';
import { configSchema, CONFIG_ENV, type Config } from './schema';
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

/**
 * Builds the configuration from environment variables, with defaults that run the local demo
 * from the repository root.
 */
export function parseConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Config {
  const portBase = env.MLOPS_PORT_BASE ?? '7233';
  const raw = {
    home: path.resolve(cwd, env.MLOPS_HOME ?? '.mlops'),
    portBase,
    backend: env.MLOPS_BACKEND ?? 'local',
    temporalAddress: env.MLOPS_TEMPORAL_ADDRESS ?? `127.0.0.1:${portBase}`,
    namespace: env.MLOPS_TEMPORAL_NAMESPACE ?? 'default',
    bucket: env.MLOPS_BUCKET ?? 'mlops',
    python: env.MLOPS_PYTHON ?? path.join(REPO_ROOT, '.venv', 'bin', 'python'),
    temporalCli: env.MLOPS_TEMPORAL_CLI ?? path.join(REPO_ROOT, '.venv', 'bin', 'temporal'),
    notifyWebhookUrl: env.MLOPS_NOTIFY_WEBHOOK_URL || undefined,
    taskQueueSuffix: env.MLOPS_TASK_QUEUE_SUFFIX ?? '',
    jobPollIntervalMs: env.MLOPS_JOB_POLL_MS ?? '100',
    gatewayCombiner: env.MLOPS_GATEWAY_COMBINER ?? 'max',
    gatewayTimeoutMs: env.MLOPS_GATEWAY_TIMEOUT_MS ?? '2000',
    gatewayOnPartial: env.MLOPS_GATEWAY_ON_PARTIAL ?? 'answer',
    gatewayMaxBodyBytes: env.MLOPS_GATEWAY_MAX_BODY ?? String(1024 * 1024),
    groundTruthUri: env.MLOPS_GROUND_TRUTH_URI ?? `s3://${env.MLOPS_BUCKET ?? 'mlops'}/ground-truth`,
  };
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = issue.path[0] as keyof Config | undefined;
        const envName = key ? CONFIG_ENV[key] : 'configuration';
        return `${envName}: ${issue.message}`;
      }),
    );
  }
  return parsed.data;
}

export function taskQueuesOf(config: Pick<Config, 'taskQueueSuffix'>): TaskQueues {
  return {
    orchestration: DEFAULT_TASK_QUEUES.orchestration + config.taskQueueSuffix,
    compute: DEFAULT_TASK_QUEUES.compute + config.taskQueueSuffix,
  };
}

/** A printable copy with secrets masked (URLs may carry tokens). */
export function describeConfig(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, envName] of Object.entries(CONFIG_ENV) as [keyof Config, string][]) {
    const value = config[key];
    if (value === undefined) continue;
    out[envName] = key === 'notifyWebhookUrl' ? maskUrl(String(value)) : String(value);
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
