import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../../common/errors';
import type { ModelFamily } from '../../common/types/model';
import type { DeploymentConfig } from '../../common/types/training';
import type { Backend } from '../backends/types';
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

export interface DeployEndpointResult {
  endpointName: string;
  endpointConfigName: string;
  action: 'created' | 'updated' | 'unchanged';
}

function hostingFailure(err: unknown): never {
  if (err instanceof HostingError) throw ApplicationFailure.nonRetryable(err.message, err.kind === 'NotFound' ? ErrorType.NotFound : ErrorType.Conflict);
  throw err;
}

/** Steps 9 and 10: endpoint configuration with data capture, then create-or-update the endpoint. */
export function createEndpointActivities(backend: Backend, settings: { pollIntervalMs: number }) {
  return {
    /** Step 9: SageMaker's CreateEndpointConfig with a DataCaptureConfig (request and response). */
    async createEndpointConfig(input: CreateEndpointConfigInput): Promise<{ alreadyExisted: boolean }> {
      const { deployment } = input;
      try {
        return await backend.hosting.createEndpointConfig({
          endpointConfigName: input.endpointConfigName,
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
      if (current?.status === 'Failed') {
        // SageMaker allows nothing but DeleteEndpoint on a failed endpoint: delete it, then create it anew.
        ctx.log.warn('replacing a failed endpoint', { endpointName: input.endpointName, failureReason: current.failureReason });
        await backend.hosting.deleteEndpoint(input.endpointName);
        while ((current = await backend.hosting.describeEndpoint(input.endpointName))) await wait({ endpointName: input.endpointName, status: current.status });
        intervalMs = settings.pollIntervalMs;
      }
      let action: DeployEndpointResult['action'];
      try {
        if (!current) {
          await backend.hosting.createEndpoint(input.endpointName, input.endpointConfigName);
          action = 'created';
        } else if (current.endpointConfigName === input.endpointConfigName) {
          action = 'unchanged';
        } else {
          // A retry after our own update finds the endpoint Updating to this config: keep waiting.
          await backend.hosting.updateEndpoint(input.endpointName, input.endpointConfigName);
          action = 'updated';
        }
      } catch (err) {
        hostingFailure(err);
      }
      let describeFailures = 0;
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
        if (d?.status === 'InService' && d.endpointConfigName === input.endpointConfigName) return { ...input, action };
        if (d?.status === 'Failed') {
          throw ApplicationFailure.nonRetryable(`endpoint ${input.endpointName} failed: ${d.failureReason ?? 'unknown reason'}`, ErrorType.DeploymentFailed);
        }
        await wait({ endpointName: input.endpointName, status: d?.status });
      }
    },
  };
}
