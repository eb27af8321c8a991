import { Client, Connection } from '@temporalio/client';
import { createBackend } from '../../activities/backends';
import { parseConfig } from '../../common/config/parse';
import { addHealthRoute, dirAccessible } from '../shared/health';
import { runService } from '../shared/service-process';
import { stackPorts } from '../../common/config/schema';
import { temporalUiUrl } from '../temporal';
import { listProjects } from '../../services/projects/project-file';
import { buildDashboardServer } from './server';

/** The dashboard process (started by `mlops stack up`): the insights page, its JSON API, `/data`. */
async function main(): Promise<{ stop: () => Promise<void> }> {
  const config = parseConfig();
  const port = stackPorts(config.portBase).dashboard;
  const connection = Connection.lazy({ address: config.temporalAddress });
  const temporal = new Client({ connection, namespace: config.namespace });
  const app = buildDashboardServer({
    backend: createBackend(config),
    bucket: config.bucket,
    temporalUiUrl: (workflowId, runId) => temporalUiUrl(config, workflowId, runId),
    // Lazy: the dashboard starts (and shows its insights) before the Temporal server answers.
    temporal: async () => temporal,
    projects: async () => (await listProjects(config.projectsDir)).map((p) => p.project.name),
  });
  addHealthRoute(app, config.backend === 'local' ? [{ name: 'data-dir', check: dirAccessible(config.home) }] : []);
  await app.listen({ host: config.listenHost, port });
  console.log(`dashboard listening on ${config.listenHost}:${port} (insights of s3://${config.bucket}/insights/)`);
  return {
    stop: async () => {
      await app.close();
      await connection.close();
    },
  };
}

runService('dashboard', main);
