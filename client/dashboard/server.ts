import path from 'node:path';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { toEdgeProblem } from '../edge-errors';
import { registerApi } from './api';
import { DataBrowser, dataLink } from './data';
import { DashboardDeployments } from './deployments';
import { DashboardQueries, type DashboardBackend } from './queries';
import { registerStatic } from './static';

export interface DashboardOptions {
  /** Where the insights tables (object store) and the model versions (registry) are read from. */
  backend: DashboardBackend;
  /** The bucket of the insights tables; `/data` serves nothing outside it. */
  bucket: string;
  /** A run's page in the Temporal UI. */
  temporalUiUrl: (workflowId: string, runId?: string) => string;
  /** `/data` returns objects up to this size as text (default 1 MiB). */
  maxDataBytes?: number;
  /** `/data` lists at most this many objects of a prefix (default 1000). */
  maxListed?: number;
  /** The Temporal client the deployments are read with (absent: the deployments API answers 503). */
  temporal?: () => Promise<Client>;
  /** The page's files (default: `public/` beside this file). */
  publicDir?: string;
  /**
   * The stack's projects (the project files): "all projects" lists the model versions of each, and
   * the project select offers them before they have insight rows. Default: the demo project only.
   */
  projects?: () => Promise<string[]>;
}

/**
 * The insights dashboard (replaces QuickSight): one page with charts and tables, the JSON API it
 * reads, and read-only access to the run data its records point to.
 */
export function buildDashboardServer(options: DashboardOptions): FastifyInstance {
  const app = Fastify({ logger: false, keepAliveTimeout: 30_000 });
  const queries = new DashboardQueries(
    options.backend,
    options.bucket,
    {
      run: (workflowId, runId) => options.temporalUiUrl(workflowId, runId),
      data: (uri) => dataLink(options.bucket, uri),
    },
    options.projects,
  );
  const data = new DataBrowser(options.backend.objectStore, options.bucket, { maxBytes: options.maxDataBytes ?? 1024 * 1024, maxListed: options.maxListed ?? 1000 });

  // Unexpected failures: the whole error goes to the service log, the browser gets a short message
  // (no paths, ARNs or stack traces); client errors keep their own status and message.
  app.setErrorHandler((err: Error, request, reply) => {
    const answer = toEdgeProblem(err, { service: 'dashboard' });
    if (answer.internal) console.error(`${new Date().toISOString()} ${request.method} ${request.url} (request ${request.id}) failed:`, err);
    return reply.status(answer.status).send(answer.body);
  });
  app.get('/ping', async () => ({ status: 'ok' }));
  const deployments = options.temporal ? new DashboardDeployments(options.temporal, options.backend.registry, options.temporalUiUrl) : undefined;
  registerApi(app, queries, data, deployments);
  registerStatic(app, options.publicDir ?? path.join(__dirname, 'public'));
  return app;
}
