import path from 'node:path';
import type { Config } from '../../common/config/schema';
import { REPO_ROOT } from '../../common/config/parse';
import type { Backend } from './types';
import { createLocalBackend } from './local';
import { createAwsBackend, createAwsClients, type AwsControls } from './aws';
import { AwsObjectStore } from './aws/object-store';

/** The S3-compatible store (MinIO) the local backend imports dropped files from. */
function upstreamObjectStore(config: Config, endpoint: string): AwsObjectStore {
  const credentials = config.s3UpstreamAccessKeyId && config.s3UpstreamSecretAccessKey ? { accessKeyId: config.s3UpstreamAccessKeyId, secretAccessKey: config.s3UpstreamSecretAccessKey } : undefined;
  return new AwsObjectStore(createAwsClients({ region: config.awsRegion, endpoint, ...(credentials ? { credentials } : {}) }).s3);
}

/** The enterprise controls of the aws backend from the MLOPS_AWS_* settings. */
export function awsControls(config: Config): AwsControls {
  return {
    ...(config.awsVolumeKmsKeyId ? { volumeKmsKeyId: config.awsVolumeKmsKeyId } : {}),
    ...(config.awsOutputKmsKeyId ? { outputKmsKeyId: config.awsOutputKmsKeyId } : {}),
    ...(config.awsSubnets.length ? { subnets: config.awsSubnets, securityGroupIds: config.awsSecurityGroupIds } : {}),
    ...(config.awsNetworkIsolation ? { networkIsolation: true } : {}),
    ...(config.awsInterContainerEncryption ? { interContainerEncryption: true } : {}),
    ...(Object.keys(config.awsTags).length ? { tags: config.awsTags } : {}),
  };
}

/** Picks the backend named by the configuration. Only this file and `workers/` import a backend folder. */
export function createBackend(config: Config): Backend {
  switch (config.backend) {
    case 'local':
      return createLocalBackend({
        home: config.home,
        python: config.python,
        algorithmsDir: path.join(REPO_ROOT, 'algorithms'),
        forkServer: config.forkServer,
        notifyWebhookUrl: config.notifyWebhookUrl,
        endpointHostUrl: config.endpointHostUrl,
        gatewayUrl: config.gatewayUrl,
        ...(config.jobRunnerUrl ? { jobRunnerUrl: config.jobRunnerUrl } : {}),
        ...(config.s3UpstreamEndpoint ? { upstreamObjectStore: upstreamObjectStore(config, config.s3UpstreamEndpoint) } : {}),
      });
    case 'aws':
      if (!config.awsRoleArn) throw new Error('MLOPS_BACKEND=aws needs MLOPS_AWS_ROLE_ARN (the execution role of SageMaker jobs and models)');
      return createAwsBackend({
        clients: createAwsClients({ region: config.awsRegion, endpoint: config.awsEndpoint }),
        region: config.awsRegion,
        roleArn: config.awsRoleArn,
        bucket: config.bucket,
        snsTopicArn: config.awsSnsTopicArn,
        namePrefix: config.awsNamePrefix,
        volumeSizeGb: config.awsVolumeSizeGb,
        controls: awsControls(config),
        keepEndpointConfigs: config.awsKeepEndpointConfigs,
        ecrRepository: config.awsEcrRepository,
        images: {
          ...(config.awsXgboostImage ? { xgboost: config.awsXgboostImage } : {}),
          ...(config.awsLinearLearnerImage ? { 'linear-learner': config.awsLinearLearnerImage } : {}),
          ...(config.awsProcessingImage ? { preprocess: config.awsProcessingImage } : {}),
          ...(config.awsModelMonitorImage ? { 'model-monitor': config.awsModelMonitorImage } : {}),
        },
      });
  }
}
