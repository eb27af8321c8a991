import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import type { DeploymentState } from '../../common/types/deployment';
import { deploymentStateQuery } from '../../workflows/deployment/deployment.messages';
import { UsageError } from '../usage-error';
import { shadowReport, type ShadowReport } from './shadow-report';

/**
 * Step 10's deployments as the edges show them (`mlops deployments list|show`, the dashboard): the
 * `endpointDeployment` workflows Temporal lists, each one's state as its query answers, and for a
 * shadow deployment the comparison recomputed from the readings its history recorded.
 */

const ID_PATTERN = /^deployment\/([a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})\/v(\d{1,9})$/;

/** `deployment/<endpoint>/v<version>` (the workflow id), or the same without the `deployment/` prefix. */
export function deploymentId(arg: string): string {
  const id = arg.startsWith('deployment/') ? arg : `deployment/${arg}`;
  if (!ID_PATTERN.test(id)) throw new UsageError(`'${arg}' is not a deployment (ENDPOINT/vVERSION, e.g. mlops-xgboost/v7; see: mlops deployments list)`);
  return id;
}

/** The endpoint and version a deployment's workflow id names (undefined: not a deployment's id). */
export function parseDeploymentId(workflowId: string): { endpointName: string; version: number } | undefined {
  const m = ID_PATTERN.exec(workflowId);
  return m ? { endpointName: m[1]!, version: Number(m[3]) } : undefined;
}

/** No such deployment: the edges answer it as the caller's mistake (CLI exit 2, HTTP 404). */
export class DeploymentNotFoundError extends UsageError {
  constructor(readonly workflowId: string) {
    super(`no deployment '${workflowId}' (see: mlops deployments list)`);
    this.name = 'DeploymentNotFoundError';
  }
}

/** A deployment as Temporal's visibility lists it. */
export interface DeploymentListing {
  /** `<endpoint>/v<version>`: what `mlops deployments show` takes. */
  deployment: string;
  workflowId: string;
  runId: string;
  endpointName: string;
  version: number;
  /** Temporal's execution status (RUNNING, COMPLETED, FAILED, ...). */
  status: string;
  startTime: string;
  closeTime?: string;
}

export interface ListDeploymentsOptions {
  running?: boolean;
  /** Only this endpoint's deployments. */
  endpointName?: string;
  /** Only deployments of these endpoints (a project's). */
  endpointNames?: ReadonlySet<string>;
  limit: number;
}

/** Deployments, newest first (Temporal lists by start time), at most `limit`. */
export async function listDeployments(client: Client, options: ListDeploymentsOptions): Promise<DeploymentListing[]> {
  const rows: DeploymentListing[] = [];
  if (options.limit < 1) return rows;
  const query = `WorkflowType = 'endpointDeployment'${options.running ? ` AND ExecutionStatus = 'Running'` : ''}`;
  for await (const w of client.workflow.list({ query })) {
    // Another workflow of the type (a test's, a hand-started one) is listed under its own id.
    const row = listingOf(w, { endpointName: w.workflowId, version: 0 });
    if (options.endpointName && row.endpointName !== options.endpointName) continue;
    if (options.endpointNames && !options.endpointNames.has(row.endpointName)) continue;
    rows.push(row);
    if (rows.length >= options.limit) break;
  }
  return rows;
}

/** A deployment's listing from its execution; the endpoint and version come from its id, else from `unnamed`. */
function listingOf(w: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'status' | 'startTime' | 'closeTime'>, unnamed: { endpointName: string; version: number }): DeploymentListing {
  const named = parseDeploymentId(w.workflowId);
  return {
    deployment: w.workflowId.replace(/^deployment\//, ''),
    workflowId: w.workflowId,
    runId: w.runId,
    endpointName: named?.endpointName ?? unnamed.endpointName,
    version: named?.version ?? unnamed.version,
    status: w.status.name,
    startTime: w.startTime.toISOString(),
    ...(w.closeTime ? { closeTime: w.closeTime.toISOString() } : {}),
  };
}

/**
 * The deployment's state as its query answers: phase, policy, traffic split, alarms and their
 * readings, the decision or rollback. A closed deployment answers too (a worker replays it), so
 * the query gets a deadline: without a worker on the orchestration queue it would wait.
 */
export async function readDeploymentState(client: Client, workflowId: string, options: { runId?: string; timeoutMs?: number } = {}): Promise<DeploymentState> {
  try {
    return await client.withDeadline(Date.now() + (options.timeoutMs ?? 10_000), () => client.workflow.getHandle(workflowId, options.runId).query(deploymentStateQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new DeploymentNotFoundError(workflowId);
    throw err;
  }
}

/** A listed deployment with its state, or why the state could not be read. */
export interface DeploymentOverview extends DeploymentListing {
  state?: DeploymentState;
  problem?: string;
}

/** A query that ran out of time: no worker answered it (gRPC DEADLINE_EXCEEDED, or the SDK's wording of it). */
function timedOut(err: unknown): boolean {
  for (let e: unknown = err; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === 4 || /deadline/i.test(String((e as { message?: unknown }).message))) return true;
  }
  return false;
}

/**
 * Listed deployments with their states, a few queries at a time. A state that cannot be read is
 * said in `problem`: one deployment never hides the others. Once a query runs out of time (no
 * worker polls the orchestration queue), the rest are not asked: each would wait as long.
 */
export async function deploymentOverviews(client: Client, listed: DeploymentListing[], options: { concurrency?: number; timeoutMs?: number } = {}): Promise<DeploymentOverview[]> {
  const out: DeploymentOverview[] = listed.map((l) => ({ ...l }));
  let next = 0;
  let gaveUp: string | undefined;
  const worker = async () => {
    for (let i = next++; i < out.length; i = next++) {
      const row = out[i]!;
      if (gaveUp) {
        row.problem = gaveUp;
        continue;
      }
      try {
        row.state = await readDeploymentState(client, row.workflowId, { runId: row.runId, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
      } catch (err) {
        row.problem = `its state could not be read: ${err instanceof Error ? err.message : String(err)}`;
        if (timedOut(err)) gaveUp = `its state was not read: a query of ${row.deployment} found no worker in time (is the orchestration worker running?)`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, out.length)) }, worker));
  return out;
}

/** One deployment in full: its listing, its state, and for a shadow its comparison from the recorded readings. */
export interface DeploymentDetail extends DeploymentListing {
  state: DeploymentState;
  /** A shadow deployment's comparison (absent for other policies, or before the shadow was read). */
  shadowReport?: ShadowReport;
}

/** What `mlops deployments show` prints and the dashboard's deployment view draws. */
export async function showDeployment(client: Client, workflowId: string, options: { timeoutMs?: number } = {}): Promise<DeploymentDetail> {
  const handle = client.workflow.getHandle(workflowId);
  let described;
  try {
    described = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new DeploymentNotFoundError(workflowId);
    throw err;
  }
  if (described.type !== 'endpointDeployment') throw new DeploymentNotFoundError(workflowId);
  const state = await readDeploymentState(client, workflowId, { runId: described.runId, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  const report = state.policy.type === 'shadow' && state.shadow ? await shadowReport(client, { workflowId, runId: described.runId }, state.shadow) : undefined;
  return {
    ...listingOf(described, { endpointName: state.endpointName, version: state.target.version }),
    state,
    ...(report ? { shadowReport: report } : {}),
  };
}
