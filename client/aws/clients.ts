import { ECRClient } from '@aws-sdk/client-ecr';
import { IAMClient } from '@aws-sdk/client-iam';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { STSClient } from '@aws-sdk/client-sts';
import { createAwsClients, type AwsClientOptions } from '../../activities/backends/aws';
import type { PreflightClients } from './preflight';

/** Every client `mlops aws` uses, from the same options as the backend's (region, emulator endpoint, credentials). */
export function createPreflightClients(options: AwsClientOptions, overrides: { quotasEndpoint?: string } = {}): PreflightClients {
  const backend = createAwsClients(options);
  const common = {
    region: options.region,
    maxAttempts: options.maxAttempts ?? 5,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const quotasEndpoint = overrides.quotasEndpoint ?? options.endpoint;
  return {
    ...backend,
    sts: new STSClient(common),
    iam: new IAMClient(common),
    ecr: new ECRClient(common),
    quotas: new ServiceQuotasClient({ ...common, ...(quotasEndpoint ? { endpoint: quotasEndpoint } : {}) }),
  };
}
