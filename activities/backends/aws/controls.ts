import type { Tag, VpcConfig } from '@aws-sdk/client-sagemaker';

/**
 * The enterprise controls of the aws backend (all optional, MLOPS_AWS_* settings), passed on every
 * call that takes them: KMS keys, a VPC, network isolation, inter-container encryption and tags.
 */
export interface AwsControls {
  /** KMS key of the ML storage volumes (training, processing, transform instances; endpoint instances). */
  volumeKmsKeyId?: string;
  /** KMS key of what lands in S3: job outputs, transform outputs, data capture, objects the worker writes (SSE-KMS). */
  outputKmsKeyId?: string;
  /** Subnets and security groups of jobs and models (both or neither). */
  subnets?: string[];
  securityGroupIds?: string[];
  /** No outbound network for the containers (EnableNetworkIsolation). */
  networkIsolation?: boolean;
  /** Encrypt traffic between the instances of a distributed job. */
  interContainerEncryption?: boolean;
  /** Tags on every resource the project creates (beside its own `mlops:*` tags). */
  tags?: Record<string, string>;
}

export function vpcConfig(controls: AwsControls): VpcConfig | undefined {
  return controls.subnets?.length && controls.securityGroupIds?.length ? { Subnets: controls.subnets, SecurityGroupIds: controls.securityGroupIds } : undefined;
}

/** The configured tags, then the resource's own (which win on a clash), as SageMaker's Tag list. */
export function tagList(controls: AwsControls, own: Record<string, string> = {}): Tag[] {
  return Object.entries({ ...controls.tags, ...own }).map(([Key, Value]) => ({ Key, Value }));
}

/** `{ VpcConfig }` when a VPC is configured: spread into requests that take one. */
export function withVpc(controls: AwsControls): { VpcConfig?: VpcConfig } {
  const vpc = vpcConfig(controls);
  return vpc ? { VpcConfig: vpc } : {};
}

export function withKey<K extends string>(field: K, key: string | undefined): Partial<Record<K, string>> {
  return key ? ({ [field]: key } as Partial<Record<K, string>>) : {};
}
