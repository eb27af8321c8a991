import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { s3Uri } from '../../../common/uri';
import type { Backend } from '../types';
import type { AwsControls } from './controls';
import { resolveImages, type AwsImages } from './images';
import { AwsDeploymentGuardrails } from './deployment-guardrails';
import { AwsEndpointAutoscaling } from './endpoint-autoscaling';
import { AwsJobRunner } from './job-runner';
import { AwsModelHosting } from './model-hosting';
import { AwsModelRegistry } from './model-registry';
import { AwsNotifier } from './notifier';
import { AwsObjectStore } from './object-store';
import { AwsParameterStore } from './parameter-store';

export { resolveImages, builtInImage, type AwsImages } from './images';
export type { AwsControls } from './controls';

/** The SDK clients the backend talks through (injected, so tests can hand in fakes or emulator clients). */
export interface AwsClients {
  s3: S3Client;
  sagemaker: SageMakerClient;
  sns: SNSClient;
  ssm: SSMClient;
  cloudwatch: CloudWatchClient;
  autoscaling: ApplicationAutoScalingClient;
}

export interface AwsBackendSettings {
  clients: AwsClients;
  region: string;
  /** Execution role of SageMaker jobs and models. */
  roleArn: string;
  /** Bucket of the backend's own records (delivered-notification markers). */
  bucket: string;
  snsTopicArn?: string;
  /** Model package groups are `<namePrefix>-<family>`. */
  namePrefix?: string;
  volumeSizeGb?: number;
  /** Image URI overrides (default: the built-in images of the region, the project image in the role's account). */
  images?: Partial<AwsImages>;
  /** Keys per S3 list page (default 1000). */
  s3ListPageSize?: number;
  /** A running job's description is reused for this long, to spare SageMaker's Describe* quotas (default 2000 ms). */
  minDescribeIntervalMs?: number;
  /** KMS keys, VPC, network isolation, inter-container encryption, tags. */
  controls?: AwsControls;
  /** Endpoint configs kept per family after a deployment (default 3). */
  keepEndpointConfigs?: number;
  /** ECR repository of the project image (default temporal-mlops-algorithms). */
  ecrRepository?: string;
}

export interface AwsClientOptions {
  region: string;
  /** One endpoint for every client (an emulator); S3 then uses path-style addressing. */
  endpoint?: string;
  /** Explicit credentials; unset: the SDK's default chain (env, profile, instance role...). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Attempts per call, with the SDK's backoff on throttling and 5xx (default 5). */
  maxAttempts?: number;
}

/** SDK v3 clients for a region, optionally aimed at an emulator. */
export function createAwsClients(options: AwsClientOptions): AwsClients {
  const common = {
    region: options.region,
    maxAttempts: options.maxAttempts ?? 5,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  return {
    s3: new S3Client({ ...common, ...(options.endpoint ? { forcePathStyle: true } : {}) }),
    sagemaker: new SageMakerClient(common),
    sns: new SNSClient(common),
    ssm: new SSMClient(common),
    cloudwatch: new CloudWatchClient(common),
    autoscaling: new ApplicationAutoScalingClient(common),
  };
}

/** The aws backend: SageMaker for jobs, hosting and the registry, S3, SSM Parameter Store, SNS. */
export function createAwsBackend(settings: AwsBackendSettings): Backend {
  if (!settings.roleArn) throw new Error('the aws backend needs an execution role: set MLOPS_AWS_ROLE_ARN');
  const { clients } = settings;
  const images = resolveImages({ region: settings.region, roleArn: settings.roleArn, overrides: settings.images, ...(settings.ecrRepository ? { repository: settings.ecrRepository } : {}) });
  const controls = settings.controls ?? {};
  const objectStore = new AwsObjectStore(clients.s3, settings.s3ListPageSize, controls.outputKmsKeyId);
  return {
    name: 'aws',
    objectStore,
    jobs: new AwsJobRunner({ sagemaker: clients.sagemaker, objectStore, roleArn: settings.roleArn, images, volumeSizeGb: settings.volumeSizeGb ?? 30, minDescribeIntervalMs: settings.minDescribeIntervalMs ?? 2000, controls }),
    registry: new AwsModelRegistry(clients.sagemaker, { namePrefix: settings.namePrefix ?? 'mlops', images, controls }),
    parameters: new AwsParameterStore(clients.ssm),
    notifier: new AwsNotifier({ sns: clients.sns, topicArn: settings.snsTopicArn, objectStore, deliveredPrefix: s3Uri(settings.bucket, 'notifications/delivered') }),
    hosting: new AwsModelHosting(clients.sagemaker, { roleArn: settings.roleArn, images, controls, keepEndpointConfigs: settings.keepEndpointConfigs ?? 3 }),
    autoscaling: new AwsEndpointAutoscaling(clients.autoscaling, clients.sagemaker),
    guardrails: new AwsDeploymentGuardrails(clients.sagemaker, clients.cloudwatch),
  };
}
