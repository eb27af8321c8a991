import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { REPO_ROOT } from '../../common/config/parse';
import { createAwsBackend, createAwsClients, type AwsBackendSettings, type AwsClients } from '../../activities/backends/aws';
import { resolveImages, type AwsImages } from '../../activities/backends/aws/images';
import type { Backend } from '../../activities/backends/types';

/** moto[server], pinned in algorithms/requirements-dev.txt and installed in the repo's virtualenv. */
const PYTHON = process.env.MLOPS_PYTHON ?? path.join(REPO_ROOT, '.venv', 'bin', 'python');

export const MOTO_REGION = 'us-east-1';
/** moto's default account; ARNs it builds use it. */
export const MOTO_ACCOUNT = '123456789012';
export const MOTO_ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT}:role/mlops-sagemaker-execution`;
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export interface MotoServer {
  url: string;
  port: number;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Messages moto recorded as published to a topic (its /moto-api/data.json model dump). */
  snsMessages(topicArn: string): Promise<{ messageId: string; message: string; subject?: string; attributes?: Record<string, unknown> }[]>;
}

let server: { child: ChildProcess; moto: MotoServer; stderr: string[] } | undefined;
let starting: Promise<MotoServer> | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, stderr: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto server exited with ${child.exitCode}: ${stderr.join('').slice(-2000)}`);
    try {
      const response = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`moto server at ${url} not ready within ${timeoutMs} ms: ${stderr.join('').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function start(): Promise<MotoServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(PYTHON, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_DEFAULT_REGION: MOTO_REGION },
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (stderr.length > 200) stderr.splice(0, stderr.length - 200);
  });
  await waitReady(url, child, stderr, 30_000);
  const moto: MotoServer = {
    url,
    port,
    async reset() {
      const response = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
    },
    async snsMessages(topicArn) {
      const response = await fetch(`${url}/moto-api/data.json`);
      const data = (await response.json()) as { sns?: { Topic?: { arn: string; sent_notifications: [string, string, string | null, Record<string, unknown> | null, string | null][] }[] } };
      const topic = (data.sns?.Topic ?? []).find((t) => t.arn === topicArn);
      return (topic?.sent_notifications ?? []).map(([messageId, message, subject, attributes]) => ({
        messageId,
        message,
        ...(subject ? { subject } : {}),
        ...(attributes ? { attributes } : {}),
      }));
    },
  };
  server = { child, moto, stderr };
  return moto;
}

/**
 * The moto server of this test process: started on a free loopback port on first use, stopped
 * after the whole run (a root-level `after` hook) or when the process exits.
 */
export function startMoto(): Promise<MotoServer> {
  starting ??= start();
  return starting;
}

export async function stopMoto(): Promise<void> {
  const current = server;
  server = undefined;
  starting = undefined;
  if (!current || current.child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      current.child.kill('SIGKILL');
    }, 3000);
    current.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    current.child.kill('SIGTERM');
  });
}

// Root-level hook: this module is loaded while mocha collects the files, so `after` lands on the
// root suite and runs once, after every file.
if (typeof after === 'function') after(() => stopMoto());
process.once('exit', () => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
});

/** SDK clients aimed at the emulator, with fake credentials and few retries (errors surface fast). */
export function motoClients(moto: MotoServer): AwsClients {
  return createAwsClients({ region: MOTO_REGION, endpoint: moto.url, credentials: MOTO_CREDENTIALS, maxAttempts: 2 });
}

export interface MotoBackend {
  backend: Backend;
  clients: AwsClients;
  bucket: string;
  topicArn: string;
  settings: AwsBackendSettings;
  /** The image URIs the backend sends (the built-in ones of MOTO_REGION). */
  images: AwsImages;
}

/**
 * An aws backend on the emulator, with its bucket and SNS topic created. Each call may use its
 * own bucket and topic so suites sharing one moto server do not see each other's objects.
 */
export async function createMotoBackend(moto: MotoServer, options: { bucket?: string; topicName?: string; namePrefix?: string; s3ListPageSize?: number } = {}): Promise<MotoBackend> {
  const clients = motoClients(moto);
  const bucket = options.bucket ?? 'mlops';
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: Error) => {
    if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
  });
  const topic = await clients.sns.send(new CreateTopicCommand({ Name: options.topicName ?? 'mlops-notifications' }));
  const settings: AwsBackendSettings = {
    clients,
    region: MOTO_REGION,
    roleArn: MOTO_ROLE_ARN,
    bucket,
    snsTopicArn: topic.TopicArn!,
    namePrefix: options.namePrefix ?? 'mlops',
    ...(options.s3ListPageSize ? { s3ListPageSize: options.s3ListPageSize } : {}),
    // moto answers at once and its jobs never change state: no need to spare its Describe* calls.
    minDescribeIntervalMs: 0,
  };
  return { backend: createAwsBackend(settings), clients, bucket, topicArn: topic.TopicArn!, settings, images: resolveImages({ region: settings.region, roleArn: settings.roleArn }) };
}

/** The same settings as environment variables (`MLOPS_BACKEND=aws` aimed at the emulator). */
export function motoEnv(moto: MotoServer, topicArn?: string): Record<string, string> {
  return {
    MLOPS_BACKEND: 'aws',
    MLOPS_AWS_REGION: MOTO_REGION,
    MLOPS_AWS_ENDPOINT: moto.url,
    MLOPS_AWS_ROLE_ARN: MOTO_ROLE_ARN,
    ...(topicArn ? { MLOPS_AWS_SNS_TOPIC_ARN: topicArn } : {}),
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
  };
}
