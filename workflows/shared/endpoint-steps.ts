import type { ActivityInterfaceFor } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { step } from './activity-options';

/**
 * Step 10, the check-endpoint choice of the state machine, shared by the training run and a
 * rollback: create the endpoint when it does not exist (a Failed one is deleted first: SageMaker
 * allows nothing else on it), else update it in place; then wait until it serves the new
 * configuration (an update the endpoint rolls back fails with DeploymentFailed and the reason).
 */
export async function createOrUpdateEndpoint(
  ctx: { quick: ActivityInterfaceFor<Activities>; deploy: ActivityInterfaceFor<Activities> },
  target: { endpointName: string; endpointConfigName: string },
): Promise<'created' | 'updated' | 'unchanged'> {
  const name = target.endpointName;
  let current = await step(`step 10: check endpoint ${name}`, ctx.quick.describeEndpointState, { endpointName: name });
  if (current?.status === 'Failed') {
    await step(`step 10: delete the failed endpoint ${name}`, ctx.deploy.deleteFailedEndpoint, { endpointName: name });
    current = null;
  }
  let action: 'created' | 'updated' | 'unchanged';
  if (!current) {
    await step(`step 10: create endpoint ${name}`, ctx.quick.createEndpoint, target);
    action = 'created';
  } else if (current.endpointConfigName === target.endpointConfigName) {
    action = 'unchanged';
  } else {
    await step(`step 10: update endpoint ${name} in place (was ${current.endpointConfigName})`, ctx.quick.updateEndpoint, target);
    action = 'updated';
  }
  const before = current ? { endpointConfigName: current.endpointConfigName, lastModifiedTime: current.lastModifiedTime, ...(current.failureReason ? { failureReason: current.failureReason } : {}) } : undefined;
  await step(`step 10: wait until ${name} serves ${target.endpointConfigName}`, ctx.deploy.waitForEndpoint, { ...target, ...(before ? { before } : {}) });
  return action;
}
