import { createBackend } from '../../activities/backends';
import { parseConfig } from '../../common/config/parse';
import { runService } from '../shared/service-process';
import { stackPorts } from '../../common/config/schema';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { AwsEndpointClient } from './aws-endpoint-client';
import { loadOperatorCombiner } from './combiners';
import { buildGatewayServer } from './server';

/** The gateway process (started by `mlops stack up`): POST /v1/predict, POST /v1/ground-truth. */
async function main(): Promise<{ stop: () => Promise<void> }> {
  const config = parseConfig();
  const ports = stackPorts(config.portBase);
  // Before listening: a module combiner that cannot be loaded stops the start (exit 2), not a request.
  const defaultCombiner = await loadOperatorCombiner(config.gatewayCombiner, process.cwd());
  const { app, close } = buildGatewayServer({
    backend: createBackend(config),
    runtimeUrl: `http://127.0.0.1:${ports.endpointHost}`,
    ...(config.backend === 'aws' ? { endpoints: new AwsEndpointClient(new SageMakerRuntimeClient({ region: config.awsRegion, maxAttempts: 2, ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}) }), config.gatewayTimeoutMs) } : {}),
    timeoutMs: config.gatewayTimeoutMs,
    endpointConcurrency: config.gatewayEndpointConcurrency,
    bulkConcurrency: config.gatewayBulkConcurrency,
    onPartial: config.gatewayOnPartial,
    defaultCombiner,
    groundTruthUri: config.groundTruthUri,
    maxBodyBytes: config.gatewayMaxBodyBytes,
    maxRecords: 1000,
  });
  await app.listen({ host: '127.0.0.1', port: ports.gateway });
  console.log(`gateway listening on http://127.0.0.1:${ports.gateway} (${config.backend === 'aws' ? 'SageMaker Runtime' : 'local endpoint host'}, combiner ${config.gatewayCombiner}, timeout ${config.gatewayTimeoutMs} ms, ${config.gatewayEndpointConcurrency} calls in flight per endpoint (${config.gatewayBulkConcurrency} for bulk requests), on partial: ${config.gatewayOnPartial})`);
  return {
    stop: async () => {
      await close();
    },
  };
}

runService('gateway', main);
