import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DeploymentDecisionInput, DeploymentState } from '../../common/types/deployment';

/** The deployment as it stands: phase, traffic split, alarms and their readings, shadow comparison. */
export const deploymentStateQuery = defineQuery<DeploymentState>('deploymentState');
/** A person promotes the new model now (skips the remaining steps and bakes). */
export const promoteDeploymentUpdate = defineUpdate<DeploymentState, [DeploymentDecisionInput]>('promoteDeployment');
/** A person aborts: all traffic back to the previous model, as a tripped alarm would. */
export const abortDeploymentUpdate = defineUpdate<DeploymentState, [DeploymentDecisionInput]>('abortDeployment');

/** Who and why are required (also checked by the CLI before it sends). */
export function validateDeploymentDecision(input: DeploymentDecisionInput): void {
  if (typeof input !== 'object' || input === null) throw new Error('a decision is required');
  if (typeof input.by !== 'string' || input.by.trim() === '') throw new Error('who decides is required (--by NAME)');
  if (typeof input.reason !== 'string' || input.reason.trim() === '') throw new Error('a reason is required (--reason TEXT)');
}
