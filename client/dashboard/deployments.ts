import type { Client } from '@temporalio/client';
import type { ModelRegistry } from '../../activities/backends/types';
import { projectOf } from '../../common/project';
import { deploymentOverviews, listDeployments, showDeployment, type DeploymentDetail, type DeploymentOverview } from '../../services/deployments/deployments';
import { describePolicy } from '../../workflows/deployment/traffic-plan';
import { EdgeError } from '../edge-errors';
import type { TimeWindow } from './params';

/** A deployment in the dashboard's list: what `mlops deployments list` lists, its state, and links. */
export interface DeploymentRow extends DeploymentOverview {
  /** The policy in words ("canary 10 % for 4 seconds, ..."), as `mlops deployments show` says it. */
  policyText: string | null;
  runUrl: string;
  /** The run that asked for it (a training run, a rollback) in the Temporal UI. */
  requestedByUrl: string | null;
}

export interface DeploymentView extends DeploymentDetail {
  policyText: string;
  runUrl: string;
  requestedByUrl: string | null;
}

export interface DeploymentFilter extends TimeWindow {
  project?: string;
  family?: string;
  endpoint?: string;
}

/** How many deployments the list reads the state of (one query each), newest first. */
export const DEPLOYMENTS_SHOWN = 50;

/**
 * The dashboard's deployments, read with the functions `mlops deployments list|show` use
 * (services/deployments). A deployment belongs to a project when the model it deploys is one of
 * the project's registered versions: the registry is what knows a model's project.
 */
export class DashboardDeployments {
  constructor(
    private readonly client: () => Promise<Client>,
    private readonly registry: Pick<ModelRegistry, 'listVersions'>,
    private readonly runUrl: (workflowId: string, runId?: string) => string,
  ) {}

  async list(q: DeploymentFilter): Promise<DeploymentRow[]> {
    const client = await this.client();
    // The time window is judged on the listing (start and close), before any state is queried.
    const listed = (await listDeployments(client, { ...(q.endpoint ? { endpointName: q.endpoint } : {}), limit: DEPLOYMENTS_SHOWN * 4 }))
      .filter((d) => overlaps(d, q))
      .slice(0, DEPLOYMENTS_SHOWN);
    const models = q.project ? await this.modelsOf(q.project) : undefined;
    const rows = await deploymentOverviews(client, listed, { concurrency: 4, timeoutMs: 5000 });
    return rows
      .filter((d) => (!q.family || d.state?.family === q.family) && (!models || (d.state !== undefined && models.has(d.state.target.modelName))))
      .map((d) => ({ ...d, policyText: d.state ? describePolicy(d.state.policy) : null, runUrl: this.runUrl(d.workflowId, d.runId), requestedByUrl: d.state ? this.runUrl(d.state.requestedBy.workflowId) : null }));
  }

  async detail(workflowId: string, project?: string): Promise<DeploymentView> {
    const client = await this.client();
    const d = await showDeployment(client, workflowId, { timeoutMs: 10_000 });
    if (project && !(await this.modelsOf(project)).has(d.state.target.modelName)) throw new EdgeError('not-found', 'NotFound', `deployment ${d.deployment} deploys no model of project ${project}`);
    return { ...d, policyText: describePolicy(d.state.policy), runUrl: this.runUrl(d.workflowId, d.runId), requestedByUrl: this.runUrl(d.state.requestedBy.workflowId) };
  }

  private async modelsOf(project: string): Promise<Set<string>> {
    const versions = await this.registry.listVersions(undefined, project);
    return new Set(versions.filter((v) => projectOf(v.project) === projectOf(project)).map((v) => v.modelName));
  }
}

/** Whether a deployment ran at some time in the window (a running one runs until now). */
function overlaps(d: { startTime: string; closeTime?: string }, w: TimeWindow): boolean {
  const start = new Date(d.startTime);
  const end = d.closeTime ? new Date(d.closeTime) : new Date();
  return (!w.to || start < w.to) && (!w.from || end >= w.from);
}
