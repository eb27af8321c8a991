import { spawn, type ChildProcess } from 'node:child_process';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { Pool } from 'undici';
import { forkServerEnv, pythonEnvironment, viaForkServer, type ForkServerRef } from '../../activities/backends/local/python-fork-server';

export interface ModelServerOptions {
  python: string;
  algorithmsDir: string;
  /** The warm fork server this instance's process is started through (decision 0024), if any. */
  forkServer?: ForkServerRef;
  /** Dir holding the extracted model (or just its model.tar.gz). */
  modelDir: string;
  /** For logs: endpoint/variant/instance. */
  label: string;
  readyTimeoutMs: number;
  onLog?: (line: string) => void;
  /**
   * A bring-your-own algorithm's serving entry point (its command with `serve`, run in its dir),
   * instead of the built-in server: it follows only SageMaker's contract, so it is given a free
   * port in SAGEMAKER_BIND_TO_PORT and is ready once GET /ping answers 200.
   */
  byo?: { command: string[]; cwd: string };
}

export interface InvocationResult {
  statusCode: number;
  contentType: string;
  body: Buffer;
  customAttributes?: string;
}

/**
 * One instance of an endpoint: a model-server process that follows the SageMaker serving contract
 * (`serve`, GET /ping, POST /invocations), reached over a keep-alive connection pool. Its stdin
 * stays open; the server exits when it closes, so instances never outlive a crashed host.
 */
export class ModelServer {
  private child?: ChildProcess;
  private pool?: Pool;
  private inFlight = 0;
  private drained?: () => void;
  port?: number;
  exited = false;

  constructor(private readonly options: ModelServerOptions) {}

  get busy(): number {
    return this.inFlight;
  }

  /** Starts the process and resolves once /ping answers 200. */
  async start(): Promise<void> {
    if (this.options.byo) return this.startByo(this.options.byo);
    const [python, ...args] = viaForkServer([this.options.python, '-m', 'mlops_algorithms.serve', 'serve'], this.options.python, this.options.forkServer) as [string, ...string[]];
    const child = spawn(python, args, {
      env: {
        ...pythonEnvironment(this.options.algorithmsDir),
        ...forkServerEnv(this.options.forkServer),
        SAGEMAKER_MODEL_DIR: this.options.modelDir,
        SAGEMAKER_BIND_TO_PORT: '0',
        MLOPS_EXIT_ON_STDIN_EOF: '1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    const stderr: string[] = [];
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr.push(chunk);
      if (stderr.length > 50) stderr.shift();
      for (const line of chunk.trimEnd().split('\n')) this.options.onLog?.(`[${this.options.label}] ${line}`);
    });
    child.on('exit', () => {
      this.exited = true;
    });
    this.port = await new Promise<number>((resolve, reject) => {
      let buffer = '';
      const timer = setTimeout(() => reject(new Error(`${this.options.label}: no 'listening on' line within ${this.options.readyTimeoutMs} ms`)), this.options.readyTimeoutMs);
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(buffer);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.options.label}: the model server exited with code ${code}: ${stderr.join('').trim().split('\n').slice(-3).join(' | ')}`));
      });
    });
    await this.waitForPing();
  }

  private async startByo(byo: { command: string[]; cwd: string }): Promise<void> {
    this.port = await freePort();
    const [file, ...args] = viaForkServer(byo.command, this.options.python, this.options.forkServer) as [string, ...string[]];
    const child = spawn(file, args, {
      cwd: byo.cwd,
      env: {
        // A bring-your-own container gets no PYTHONPATH of ours.
        ...pythonEnvironment(undefined),
        ...forkServerEnv(this.options.forkServer),
        SAGEMAKER_MODEL_DIR: this.options.modelDir,
        SAGEMAKER_BIND_TO_HOST: '127.0.0.1',
        SAGEMAKER_BIND_TO_PORT: String(this.port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const stderr: string[] = [];
    const log = (chunk: string) => {
      stderr.push(chunk);
      if (stderr.length > 50) stderr.shift();
      for (const line of chunk.trimEnd().split('\n')) this.options.onLog?.(`[${this.options.label}] ${line}`);
    };
    child.stderr!.setEncoding('utf8').on('data', log);
    child.stdout!.setEncoding('utf8').on('data', log);
    child.on('exit', () => {
      this.exited = true;
    });
    child.on('error', (err) => {
      this.exited = true;
      log(`cannot start ${file}: ${err.message}`);
    });
    await this.waitForPing(() => stderr.join('').trim().split('\n').slice(-3).join(' | '));
  }

  /** Resolves once GET /ping answers 200; fails when the process exits first or the timeout passes. */
  private async waitForPing(lastLines?: () => string): Promise<void> {
    this.pool = new Pool(`http://127.0.0.1:${this.port}`, { connections: 16, pipelining: 1, keepAliveTimeout: 30_000 });
    const deadline = Date.now() + this.options.readyTimeoutMs;
    for (;;) {
      if (this.exited) throw new Error(`${this.options.label}: the model server exited before it passed /ping${lastLines ? `: ${lastLines()}` : ''}`);
      const ok = await this.pool
        .request({ method: 'GET', path: '/ping', headersTimeout: 2000 })
        .then(async (r) => {
          await r.body.dump();
          return r.statusCode === 200;
        })
        .catch(() => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`${this.options.label}: /ping did not pass within ${this.options.readyTimeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * POST /invocations on this instance. Dispatched with a handler that collects the answer's
   * chunks, not `pool.request`: that wraps every answer in a readable stream and an async
   * iterator, which cost more of the host's CPU per invocation than the rest of the proxying.
   */
  async invoke(body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<InvocationResult> {
    const pool = this.pool;
    if (!pool) throw new Error(`${this.options.label} is not started`);
    this.inFlight++;
    try {
      return await new Promise<InvocationResult>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let statusCode = 0;
        let answered: IncomingHttpHeaders = {};
        pool.dispatch(
          { method: 'POST', path: '/invocations', body, headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
          {
            // Its presence marks the handler as undici's controller kind (without it undici asks for the deprecated callbacks).
            onRequestStart: () => undefined,
            onResponseStart: (_controller, status, responseHeaders) => {
              statusCode = status;
              answered = responseHeaders;
            },
            onResponseData: (_controller, chunk) => {
              chunks.push(chunk);
            },
            onResponseEnd: () => {
              const customAttributes = answered['x-amzn-sagemaker-custom-attributes'];
              resolve({
                statusCode,
                contentType: String(answered['content-type'] ?? 'application/octet-stream'),
                body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
                ...(typeof customAttributes === 'string' ? { customAttributes } : {}),
              });
            },
            onResponseError: (_controller, error) => reject(error),
          },
        );
      });
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  /** Waits for in-flight requests (bounded), then stops the process: SIGTERM, SIGKILL after the grace. */
  async stop(drainTimeoutMs = 30_000, graceMs = 10_000): Promise<void> {
    if (this.inFlight > 0) {
      await Promise.race([new Promise<void>((r) => (this.drained = r)), new Promise((r) => setTimeout(r, drainTimeoutMs))]);
    }
    await this.pool?.close().catch(() => undefined);
    const child = this.child;
    if (!child || this.exited) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}

/** A port free right now on the loopback interface (the serving process binds it next). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
