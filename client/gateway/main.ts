import { createBackend } from '../../activities/backends';
import { parseConfig } from '../../common/config/parse';
import { addHealthRoute, answersPing, dirAccessible } from '../shared/health';
import { runService } from '../shared/service-process';
import { stackPorts } from '../../common/config/schema';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { AwsEndpointClient } from './aws-endpoint-client';
import { loadOperatorCombiner } from './combiners';
import { buildGatewayServer } from './server';
import { projectLookup } from './projects';

/** The gateway process (started by `mlops stack up`): POST /v1/predict, POST /v1/ground-truth. */
async function main(): Promise<{ stop: () => Promise<void> }> {
  const config = parseConfig();
  const ports = stackPorts(config.portBase);
  // Before listening: a module combiner that cannot be loaded stops the start (exit 2), not a request.
  const defaultCombiner = await loadOperatorCombiner(config.gatewayCombiner, process.cwd());
  const { app, close } = buildGatewayServer({
    backend: createBackend(config),
    runtimeUrl: config.endpointHostUrl,
    ...(config.backend === 'aws' ? { endpoints: new AwsEndpointClient(new SageMakerRuntimeClient({ region: config.awsRegion, maxAttempts: 2, ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}) }), config.gatewayTimeoutMs) } : {}),
    timeoutMs: config.gatewayTimeoutMs,
    endpointConcurrency: config.gatewayEndpointConcurrency,
    bulkConcurrency: config.gatewayBulkConcurrency,
    onPartial: config.gatewayOnPartial,
    defaultCombiner,
    groundTruthUri: config.groundTruthUri,
    maxBodyBytes: config.gatewayMaxBodyBytes,
    maxRecords: 1000,
    projects: projectLookup(config.projectsDir),
  });
  // What the gateway needs: the endpoint host (local backend) and the champion parameters under the data dir.
  addHealthRoute(app, config.backend === 'local' ? [{ name: 'endpoint-host', check: answersPing(config.endpointHostUrl) }, { name: 'data-dir', check: dirAccessible(config.home) }] : []);
  await app.listen({ host: config.listenHost, port: ports.gateway });
  console.log(`gateway listening on ${config.listenHost}:${ports.gateway} (${config.backend === 'aws' ? 'SageMaker Runtime' : `local endpoint host at ${config.endpointHostUrl}`}, combiner ${config.gatewayCombiner}, timeout ${config.gatewayTimeoutMs} ms, ${config.gatewayEndpointConcurrency} calls in flight per endpoint (${config.gatewayBulkConcurrency} for bulk requests), on partial: ${config.gatewayOnPartial})`);
  return {
    stop: async () => {
      await close();
    },
  };
}

runService('gateway', main);
