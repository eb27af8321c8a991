import { durationMs } from './duration';
import type { DeploymentPolicy } from './types/deployment';

/**
 * SageMaker's blue/green limits (UpdateEndpoint's DeploymentConfig): a canary of at most 50 % of
 * the fleet, linear steps of 10-50 %, waits and the final bake of at most an hour; a shadow is
 * judged by its alarms alone (no paired predictions on aws). The schema
 * accepts more (the local backend drives any policy); on aws a policy past them is refused before
 * anything is created. Empty: the policy fits.
 */
export function guardrailLimitProblems(policy: DeploymentPolicy): string[] {
  const problems: string[] = [];
  const seconds = (d: string) => Math.round(durationMs(d) / 1000);
  if (policy.type === 'canary' && policy.canaryShare > 0.5) problems.push(`policy.canaryShare: at most 0.5 on aws (SageMaker's CanarySize is at most 50 % of the fleet), got ${policy.canaryShare}`);
  if (policy.type === 'linear' && (policy.stepShare < 0.1 || policy.stepShare > 0.5)) problems.push(`policy.stepShare: from 0.1 to 0.5 on aws (SageMaker's LinearStepSize is 10-50 % of the fleet), got ${policy.stepShare}`);
  if (policy.type === 'canary' && seconds(policy.canaryBake) > 3600) problems.push(`policy.canaryBake: at most 1 hour on aws (SageMaker's WaitIntervalInSeconds), got ${policy.canaryBake}`);
  if (policy.type === 'linear' && seconds(policy.stepInterval) > 3600) problems.push(`policy.stepInterval: at most 1 hour on aws (SageMaker's WaitIntervalInSeconds), got ${policy.stepInterval}`);
  if (policy.type === 'shadow' && policy.maxMedianRelativeDifference !== undefined) {
    problems.push(
      "policy.maxMedianRelativeDifference: not available on aws (SageMaker's shadow variant publishes its own metrics, not predictions paired with the champion's; the shadow is judged by its rollback alarms): leave it out, or promote by a person",
    );
  }
  if (seconds(policy.finalBake) > 3600) problems.push(`policy.finalBake: at most 1 hour on aws (SageMaker's TerminationWaitInSeconds), got ${policy.finalBake}`);
  return problems;
}
