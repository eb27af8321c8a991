import { Client, Connection } from '@temporalio/client';
import type { Config } from '../common/config/schema';
import { EdgeError } from './edge-errors';

/** A Temporal client for the configured frontend; a clear message when nothing listens there. */
export async function connectClient(config: Config, options: { timeoutMs?: number } = {}): Promise<{ client: Client; connection: Connection }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: options.timeoutMs ?? 5000 });
  } catch (err) {
    throw new TemporalUnavailableError(config.temporalAddress, err);
  }
  return { client: new Client({ connection, namespace: config.namespace }), connection };
}

export class TemporalUnavailableError extends EdgeError {
  constructor(address: string, cause: unknown) {
    super('unavailable', 'TemporalUnavailable', `cannot reach the Temporal server at ${address} (${cause instanceof Error ? cause.message : String(cause)}); start the local stack with: npx mlops stack up`);
    this.name = 'TemporalUnavailableError';
  }
}

/** Link to a run in the Temporal Web UI of the local stack. */
export function temporalUiUrl(config: Config, workflowId?: string, runId?: string): string {
  const base = `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows`;
  if (!workflowId) return base;
  return `${base}/${encodeURIComponent(workflowId)}${runId ? `/${runId}/history` : ''}`;
}
