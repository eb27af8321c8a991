import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { conflict, deploymentFailed, notFound } from '../../common/errors';
import { endpointName } from '../../common/ids';
import type { ModelFamily } from '../../common/types/model';
import type { DeploymentConfig } from '../../common/types/training';
import type { Backend, EndpointDescription, EndpointStatus } from '../backends/types';
import { HostingError } from '../backends/errors';
import { nextInterval, sleepHeartbeating } from '../shared/run-job';

/**
 * The production variant is named after the model it serves (model names and variant names follow
 * the same SageMaker rule): every invocation's answer names its variant (InvokedProductionVariant),
 * so a caller learns which model produced a prediction from the answer itself, also while an
 * update moves traffic from one model to the next. (Configs made before this named it AllTraffic.)
 */
export function variantName(modelName: string): string {
  return modelName;
}

export interface CreateEndpointConfigInput {
  endpointConfigName: string;
  family: ModelFamily;
  modelName: string;
  deployment: DeploymentConfig;
}

export interface DeployEndpointInput {
  endpointName: string;
  endpointConfigName: string;
}

/** What the workflow decides step 10 on: the endpoint as it is now, or undefined when it does not exist. */
export interface EndpointState {
  endpointName: string;
  endpointConfigName: string;
  status: EndpointStatus;
  failureReason?: string;
  lastModifiedTime: string;
}

/** The wait of step 10: for this configuration, knowing what the endpoint looked like before our update. */
export interface WaitForEndpointInput extends DeployEndpointInput {
  /** The endpoint's state when step 10 began (absent: it was created by this run). */
  before?: Pick<EndpointState, 'endpointConfigName' | 'failureReason' | 'lastModifiedTime'>;
}

export interface DeployEndpointResult {
  endpointName: string;
  endpointConfigName: string;
  action: 'created' | 'updated' | 'unchanged';
}

export function hostingFailure(err: unknown): never {
  if (err instanceof HostingError) throw err.kind === 'NotFound' ? notFound(err.message) : conflict(err.message);
  throw err;
}

/** Steps 9 and 10: endpoint configuration with data capture, then create-or-update the endpoint. */
export function createEndpointActivities(backend: Backend, settings: { pollIntervalMs: number }) {
  /** Old endpoint configs and the models only they used go once the new config serves; a failure here never fails the deployment. */
  async function pruneHistory(ctx: Context, input: DeployEndpointInput): Promise<void> {
    if (!backend.hosting.pruneEndpointHistory) return;
    try {
      const pruned = await backend.hosting.pruneEndpointHistory(input.endpointName, input.endpointConfigName);
      if (pruned.deletedConfigs.length) ctx.log.info('deleted old endpoint configs and models', { endpointName: input.endpointName, ...pruned });
    } catch (err) {
      ctx.log.warn('old endpoint configs were not cleaned up (the deployment itself succeeded)', { endpointName: input.endpointName, error: err instanceof Error ? err.message : String(err) });
    }
  }

  /**
   * SageMaker refuses an update that removes an autoscaled variant (or changes its instance type)
   * until the variant is deregistered: released first, its policy remembered with the old config.
   */
  async function releaseAutoscaling(ctx: Context, input: DeployEndpointInput): Promise<void> {
    const released = await backend.autoscaling.releaseBeforeUpdate?.(input.endpointName, input.endpointConfigName);
    if (released?.length) ctx.log.info('autoscaling deregistered before the update (SageMaker refuses the update otherwise)', { endpointName: input.endpointName, variants: released });
  }

  /** Once the endpoint settled (on our configuration, or rolled back to the old one): remembered autoscaling comes back. */
  async function restoreAutoscaling(ctx: Context, endpointName: string): Promise<void> {
    const restored = await backend.autoscaling.restoreAfterUpdate?.(endpointName);
    if (restored?.length) ctx.log.info('autoscaling registered again on the configuration the endpoint serves', { endpointName, variants: restored });
  }

  return {
    /** Step 9: SageMaker's CreateEndpointConfig with a DataCaptureConfig (request and response). */
    async createEndpointConfig(input: CreateEndpointConfigInput): Promise<{ alreadyExisted: boolean }> {
      const { deployment } = input;
      try {
        return await backend.hosting.createEndpointConfig({
          endpointConfigName: input.endpointConfigName,
          endpointName: endpointName(deployment.endpointNamePrefix, input.family),
          variants: [{ variantName: variantName(input.modelName), modelName: input.modelName, instanceType: deployment.instanceType, instanceCount: deployment.instanceCount }],
          dataCapture: {
            enableCapture: deployment.dataCapture.enabled,
            initialSamplingPercentage: deployment.dataCapture.samplingPercentage,
            destinationS3Uri: deployment.dataCapture.destinationUri,
            captureModes: deployment.dataCapture.captureModes,
            csvContentTypes: ['text/csv'],
            jsonContentTypes: ['application/json'],
          },
        });
      } catch (err) {
        hostingFailure(err);
      }
    },

    /**
     * Step 10: creates the endpoint when it does not exist, else updates it in place to the new
     * configuration; then waits (heartbeating) until it is InService.
     */
    async deployEndpoint(input: DeployEndpointInput): Promise<DeployEndpointResult> {
      const ctx = Context.current();
      const backoff = backend.jobs.pollBackoff ?? { factor: 1, maxIntervalMs: settings.pollIntervalMs };
      let intervalMs = settings.pollIntervalMs;
      const wait = async (details: Record<string, unknown>) => {
        await sleepHeartbeating(ctx, intervalMs, details);
        intervalMs = nextInterval(intervalMs, backoff);
      };
      let current = await backend.hosting.describeEndpoint(input.endpointName);
      if (current?.status === 'UpdateRollbackFailed') {
        // The rollback of an earlier update failed, but the endpoint still serves traffic: deleting it
        // would take the model offline, so a person has to decide (UpdateEndpoint to a working config).
        throw deploymentFailed(`endpoint ${input.endpointName} is UpdateRollbackFailed (${current.failureReason ?? 'no reason given'}); it still serves traffic and is left as it is: update it by hand to a working endpoint config, then run again`);
      }
      if (current?.status === 'Failed') {
        // SageMaker allows nothing but DeleteEndpoint on a failed endpoint: delete it, then create it anew.
        ctx.log.warn('replacing a failed endpoint', { endpointName: input.endpointName, failureReason: current.failureReason });
        await backend.hosting.deleteEndpoint(input.endpointName);
        while ((current = await backend.hosting.describeEndpoint(input.endpointName))) await wait({ endpointName: input.endpointName, status: current.status });
        intervalMs = settings.pollIntervalMs;
      }
      let action: DeployEndpointResult['action'];
      // What the endpoint looked like before our update: SageMaker answers a failed update by rolling
      // back to the old config (InService again) with a FailureReason, which must not read as "still
      // waiting for our config" (the wait would last until the activity's timeout, then update again).
      const before = current ? { failureReason: current.failureReason, lastModifiedTime: current.lastModifiedTime } : undefined;
      try {
        if (!current) {
          await backend.hosting.createEndpoint(input.endpointName, input.endpointConfigName);
          action = 'created';
        } else if (current.endpointConfigName === input.endpointConfigName) {
          action = 'unchanged';
        } else {
          // A retry after our own update finds the endpoint Updating to this config: keep waiting.
          await releaseAutoscaling(ctx, input);
          await backend.hosting.updateEndpoint(input.endpointName, input.endpointConfigName);
          action = 'updated';
        }
      } catch (err) {
        hostingFailure(err);
      }
      let describeFailures = 0;
      let sawUpdate = false;
      for (;;) {
        let d;
        try {
          d = await backend.hosting.describeEndpoint(input.endpointName);
          describeFailures = 0;
        } catch (err) {
          // Throttled or briefly unreachable: keep waiting; bad input and repeated failures end the attempt.
          if (err instanceof ApplicationFailure || ++describeFailures >= 5) throw err;
          await wait({ endpointName: input.endpointName, status: 'Unknown', describeFailures });
          continue;
        }
        ctx.heartbeat({ endpointName: input.endpointName, status: d?.status });
        if (d?.status === 'InService' && d.endpointConfigName === input.endpointConfigName) {
          await restoreAutoscaling(ctx, input.endpointName);
          await pruneHistory(ctx, input);
          return { ...input, action };
        }
        if (d && d.status !== 'InService') sawUpdate = true;
        if (d?.status === 'Failed' || d?.status === 'UpdateRollbackFailed') {
          throw deploymentFailed(`endpoint ${input.endpointName} ${d.status === 'Failed' ? 'failed' : 'is UpdateRollbackFailed (it still serves traffic)'}: ${d.failureReason ?? 'unknown reason'}`);
        }
        if (action === 'updated' && d?.status === 'InService' && d.failureReason && (sawUpdate || d.failureReason !== before?.failureReason || d.lastModifiedTime !== before?.lastModifiedTime)) {
          await restoreAutoscaling(ctx, input.endpointName);
          throw deploymentFailed(`endpoint ${input.endpointName}: the update to ${input.endpointConfigName} failed and SageMaker rolled back to ${d.endpointConfigName}, which still serves: ${d.failureReason}`);
        }
        await wait({ endpointName: input.endpointName, status: d?.status });
      }
    },

    /** Step 10, first: the endpoint's state, on which the workflow chooses to create, replace or update it. */
    async describeEndpointState(input: { endpointName: string }): Promise<EndpointState | null> {
      const d = await backend.hosting.describeEndpoint(input.endpointName);
      if (!d) return null;
      return { endpointName: d.endpointName, endpointConfigName: d.endpointConfigName, status: d.status, lastModifiedTime: d.lastModifiedTime, ...(d.failureReason ? { failureReason: d.failureReason } : {}) };
    },

    /**
     * Step 10 on a Failed endpoint: SageMaker allows nothing but DeleteEndpoint on it, so it is
     * deleted and awaited until gone (heartbeating); the workflow then creates it anew.
     */
    async deleteFailedEndpoint(input: { endpointName: string }): Promise<void> {
      const ctx = Context.current();
      const current = await backend.hosting.describeEndpoint(input.endpointName);
      if (!current) return;
      if (current.status !== 'Failed' && current.status !== 'Deleting') {
        throw conflict(`endpoint ${input.endpointName} is ${current.status}, not Failed: it is not deleted`);
      }
      ctx.log.warn('replacing a failed endpoint', { endpointName: input.endpointName, failureReason: current.failureReason });
      if (current.status === 'Failed') await backend.hosting.deleteEndpoint(input.endpointName);
      await pollEndpoint(ctx, backend, settings, input.endpointName, (d) => d === undefined);
    },

    /** Step 10 when the endpoint does not exist: CreateEndpoint (a retry that finds it created is done). */
    async createEndpoint(input: DeployEndpointInput): Promise<void> {
      const current = await backend.hosting.describeEndpoint(input.endpointName);
      if (current?.endpointConfigName === input.endpointConfigName) return;
      if (current) throw conflict(`endpoint ${input.endpointName} exists already (configuration ${current.endpointConfigName})`);
      try {
        await backend.hosting.createEndpoint(input.endpointName, input.endpointConfigName);
      } catch (err) {
        hostingFailure(err);
      }
    },

    /** Step 10 when the endpoint exists: UpdateEndpoint in place (a retry that finds it moving to this configuration is done). */
    async updateEndpoint(input: DeployEndpointInput): Promise<void> {
      const current = await backend.hosting.describeEndpoint(input.endpointName);
      if (!current) throw notFound(`endpoint ${input.endpointName} does not exist: nothing to update`);
      if (current.endpointConfigName === input.endpointConfigName) return;
      if (current.status === 'UpdateRollbackFailed') {
        // The rollback of an earlier update failed, but the endpoint still serves traffic: a person decides.
        throw deploymentFailed(`endpoint ${input.endpointName} is UpdateRollbackFailed (${current.failureReason ?? 'no reason given'}); it still serves traffic and is left as it is: update it by hand to a working endpoint config, then run again`);
      }
      try {
        await releaseAutoscaling(Context.current(), input);
        await backend.hosting.updateEndpoint(input.endpointName, input.endpointConfigName);
      } catch (err) {
        hostingFailure(err);
      }
    },

    /**
     * Step 10, last: waits (heartbeating) until the endpoint serves the new configuration, then
     * prunes its old configurations (where the backend keeps a history). Failed or
     * UpdateRollbackFailed, or back InService on the old configuration with a failure reason that
     * is new since `before` (SageMaker rolled our update back), is a permanent DeploymentFailed that
     * carries the reason.
     */
    async waitForEndpoint(input: WaitForEndpointInput): Promise<void> {
      const ctx = Context.current();
      let sawUpdate = false;
      let rolledBack: string | undefined;
      await pollEndpoint(ctx, backend, settings, input.endpointName, (d) => {
        if (d?.status === 'InService' && d.endpointConfigName === input.endpointConfigName) return true;
        if (!d) throw deploymentFailed(`endpoint ${input.endpointName} disappeared while it was being deployed`);
        if (d.status !== 'InService') sawUpdate = true;
        if (d.status === 'Failed' || d.status === 'UpdateRollbackFailed') {
          throw deploymentFailed(`endpoint ${input.endpointName} ${d.status === 'Failed' ? 'failed' : 'is UpdateRollbackFailed (it still serves traffic)'}: ${d.failureReason ?? 'unknown reason'}`);
        }
        const before = input.before;
        if (before && d.status === 'InService' && d.failureReason && (sawUpdate || d.failureReason !== before.failureReason || d.lastModifiedTime !== before.lastModifiedTime)) {
          rolledBack = `endpoint ${input.endpointName}: the update to ${input.endpointConfigName} failed and was rolled back to ${d.endpointConfigName}, which still serves: ${d.failureReason}`;
          return true;
        }
        return false;
      });
      // The old configuration serves again (rolled back) or the new one does: either way its remembered autoscaling returns.
      await restoreAutoscaling(ctx, input.endpointName);
      if (rolledBack !== undefined) throw deploymentFailed(rolledBack);
      await pruneHistory(ctx, input);
    },
  };
}

/**
 * Describes the endpoint until `done` says so, heartbeating between polls (interval from the
 * settings, growing with the backend's backoff). Throttled or briefly failing describes are
 * retried in place; bad input and repeated failures end the attempt.
 */
export async function pollEndpoint(
  ctx: Context,
  backend: Backend,
  settings: { pollIntervalMs: number },
  endpointName: string,
  done: (d: EndpointDescription | undefined) => boolean,
): Promise<void> {
  const backoff = backend.jobs.pollBackoff ?? { factor: 1, maxIntervalMs: settings.pollIntervalMs };
  let intervalMs = settings.pollIntervalMs;
  let describeFailures = 0;
  for (;;) {
    let d: EndpointDescription | undefined;
    try {
      d = await backend.hosting.describeEndpoint(endpointName);
      describeFailures = 0;
    } catch (err) {
      if (err instanceof ApplicationFailure || ++describeFailures >= 5) throw err;
      await sleepHeartbeating(ctx, intervalMs, { endpointName, status: 'Unknown', describeFailures });
      continue;
    }
    ctx.heartbeat({ endpointName, status: d?.status ?? 'absent' });
    if (done(d)) return;
    await sleepHeartbeating(ctx, intervalMs, { endpointName, status: d?.status ?? 'absent' });
    intervalMs = nextInterval(intervalMs, backoff);
  }
}
