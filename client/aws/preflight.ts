import { randomUUID } from 'node:crypto';
import { DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ListTrainingJobsCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ListAWSDefaultServiceQuotasCommand, ListServiceQuotasCommand, type ServiceQuota, type ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { GetTopicAttributesCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { builtInImage, projectImage } from '../../activities/backends/aws/images';
import type { InstanceTypeUse } from '../../common/config/instance-types';
import type { Config } from '../../common/config/schema';

export interface PreflightClients {
  sts: STSClient;
  iam: IAMClient;
  s3: S3Client;
  sagemaker: SageMakerClient;
  sns: SNSClient;
  ssm: SSMClient;
  ecr: ECRClient;
  quotas: ServiceQuotasClient;
}

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface PreflightCheck {
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

/** The SSM path the pipelines export under (common/artifacts.ts parameterNames). */
const PARAMETER_PATH = '/mlops';

/** The trust policy SageMaker needs on the execution role (docs/aws-backend.md). */
export const TRUST_POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }] };

/** Service Quotas names SageMaker's instance quotas `<type> for <kind> usage`. */
const QUOTA_KIND: Record<InstanceTypeUse['kind'], string> = { training: 'training job', processing: 'processing job', transform: 'transform job', endpoint: 'endpoint' };

export function quotaName(use: Pick<InstanceTypeUse, 'kind' | 'instanceType'>): string {
  return `${use.instanceType} for ${QUOTA_KIND[use.kind]} usage`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

/**
 * Checks, before a first run and without starting paid work, what the aws backend needs: the
 * credentials and region, the bucket (a marker written, read back and deleted), the execution
 * role's trust policy, the images of the region, the instance quotas of the configured types, the
 * SNS topic and the SSM path. One result per check, each failure with its fix.
 */
export async function runPreflight(config: Config, clients: PreflightClients, uses: InstanceTypeUse[]): Promise<PreflightCheck[]> {
  const checks: PreflightCheck[] = [];
  const add = (c: PreflightCheck) => checks.push(c);

  // Credentials and region.
  let account: string | undefined;
  try {
    const who = await clients.sts.send(new GetCallerIdentityCommand({}));
    account = who.Account;
    add({ check: 'credentials', status: 'ok', detail: `account ${who.Account} as ${who.Arn}, region ${config.awsRegion}` });
  } catch (err) {
    add({
      check: 'credentials',
      status: 'fail',
      detail: `no usable AWS credentials (${errorText(err)})`,
      fix: 'set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or run on an instance or task role), and MLOPS_AWS_REGION',
    });
  }

  try {
    await clients.sagemaker.send(new ListTrainingJobsCommand({ MaxResults: 1 }));
    add({ check: 'sagemaker', status: 'ok', detail: `SageMaker answers in ${config.awsRegion}` });
  } catch (err) {
    add({ check: 'sagemaker', status: 'fail', detail: `SageMaker ListTrainingJobs failed (${errorText(err)})`, fix: 'attach the worker policy of docs/aws-backend.md (sagemaker:*Job*, models, endpoints, model packages) and check MLOPS_AWS_REGION' });
  }

  add(await checkBucket(config, clients.s3));
  add(await checkRole(config, clients.iam));
  checks.push(...(await checkImages(config, clients.ecr, account)));
  checks.push(...(await checkQuotas(clients.quotas, uses)));

  if (config.awsSnsTopicArn) {
    try {
      await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: config.awsSnsTopicArn }));
      add({ check: 'sns topic', status: 'ok', detail: config.awsSnsTopicArn });
    } catch (err) {
      add({ check: 'sns topic', status: 'fail', detail: `${config.awsSnsTopicArn}: ${errorText(err)}`, fix: 'create the topic (aws sns create-topic) or fix MLOPS_AWS_SNS_TOPIC_ARN; allow sns:Publish and sns:GetTopicAttributes on it' });
    }
  } else {
    add({ check: 'sns topic', status: 'skip', detail: 'MLOPS_AWS_SNS_TOPIC_ARN unset: notifications are only recorded in S3' });
  }

  try {
    await clients.ssm.send(new GetParametersByPathCommand({ Path: PARAMETER_PATH, Recursive: true, MaxResults: 1 }));
    add({ check: 'ssm path', status: 'ok', detail: `${PARAMETER_PATH}/ is readable` });
  } catch (err) {
    add({ check: 'ssm path', status: 'fail', detail: `${PARAMETER_PATH}/: ${errorText(err)}`, fix: `allow ssm:GetParameter, ssm:GetParametersByPath and ssm:PutParameter on arn:aws:ssm:${config.awsRegion}:<account>:parameter${PARAMETER_PATH}/*` });
  }
  return checks;
}

async function checkBucket(config: Config, s3: S3Client): Promise<PreflightCheck> {
  const Bucket = config.bucket;
  const Key = `mlops-preflight/${randomUUID()}.txt`;
  const body = `mlops aws preflight ${new Date().toISOString()}`;
  const fix = `create s3://${Bucket} in ${config.awsRegion} (or set MLOPS_BUCKET) and allow s3:PutObject, s3:GetObject, s3:DeleteObject on arn:aws:s3:::${Bucket}/* and s3:ListBucket on arn:aws:s3:::${Bucket}`;
  let step = 'PutObject';
  try {
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: body, ...(config.awsOutputKmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: config.awsOutputKmsKeyId } : {}) }));
    step = 'GetObject';
    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
    if ((await got.Body?.transformToString()) !== body) return { check: 'bucket', status: 'fail', detail: `s3://${Bucket}/${Key} read back other content`, fix };
    step = 'DeleteObject';
    await s3.send(new DeleteObjectCommand({ Bucket, Key }));
  } catch (err) {
    return { check: 'bucket', status: 'fail', detail: `s3://${Bucket}: ${step} failed (${errorText(err)})`, fix };
  }
  // The deleted marker is a missing key now: 404 means s3:ListBucket is granted, 403 that it is not.
  try {
    await s3.send(new HeadObjectCommand({ Bucket, Key }));
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 403) {
      return { check: 'bucket', status: 'fail', detail: `s3://${Bucket}: put/get/delete work, but a missing key answers 403 (no s3:ListBucket): the jobs' input checks list prefixes`, fix };
    }
  }
  return { check: 'bucket', status: 'ok', detail: `s3://${Bucket}: a marker was written, read back and deleted; listing allowed` };
}

async function checkRole(config: Config, iam: IAMClient): Promise<PreflightCheck> {
  if (!config.awsRoleArn) return { check: 'execution role', status: 'fail', detail: 'MLOPS_AWS_ROLE_ARN is unset', fix: 'create a role SageMaker can assume (docs/aws-backend.md, "The job role") and set MLOPS_AWS_ROLE_ARN' };
  const roleName = config.awsRoleArn.slice(config.awsRoleArn.lastIndexOf('/') + 1);
  const fix = `give ${roleName} this trust policy: ${JSON.stringify(TRUST_POLICY)}`;
  let document: string | undefined;
  try {
    document = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.AssumeRolePolicyDocument;
  } catch (err) {
    if (errorName(err) === 'NoSuchEntity' || errorName(err) === 'NoSuchEntityException') {
      return { check: 'execution role', status: 'fail', detail: `${config.awsRoleArn} does not exist`, fix: `create it (docs/aws-backend.md, "The job role"); ${fix}` };
    }
    return { check: 'execution role', status: 'warn', detail: `cannot read ${roleName} (${errorText(err)}): its trust policy was not checked`, fix: `allow iam:GetRole on ${config.awsRoleArn}, or check by hand that ${fix}` };
  }
  return trustsSageMaker(document)
    ? { check: 'execution role', status: 'ok', detail: `${config.awsRoleArn} trusts sagemaker.amazonaws.com` }
    : { check: 'execution role', status: 'fail', detail: `${config.awsRoleArn} does not let sagemaker.amazonaws.com assume it`, fix };
}

/** Whether a trust policy (IAM returns it URL-encoded) allows SageMaker to assume the role. */
export function trustsSageMaker(encoded: string | undefined): boolean {
  if (!encoded) return false;
  let doc: unknown;
  try {
    doc = JSON.parse(decodeURIComponent(encoded));
  } catch {
    try {
      doc = JSON.parse(encoded);
    } catch {
      return false;
    }
  }
  const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const statements = list((doc as { Statement?: unknown }).Statement) as { Effect?: string; Action?: string | string[]; Principal?: { Service?: string | string[] } | string; Condition?: unknown }[];
  return statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      list(s.Action).some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*') &&
      typeof s.Principal === 'object' &&
      list(s.Principal.Service).includes('sagemaker.amazonaws.com'),
  );
}

async function checkImages(config: Config, ecr: ECRClient, account: string | undefined): Promise<PreflightCheck[]> {
  const out: PreflightCheck[] = [];
  for (const algorithm of ['xgboost', 'linear-learner'] as const) {
    const override = algorithm === 'xgboost' ? config.awsXgboostImage : config.awsLinearLearnerImage;
    const setting = algorithm === 'xgboost' ? 'MLOPS_AWS_XGBOOST_IMAGE' : 'MLOPS_AWS_LINEAR_LEARNER_IMAGE';
    const table = builtInImage(algorithm, config.awsRegion);
    if (override) out.push({ check: `image ${algorithm}`, status: 'ok', detail: `${override} (${setting})` });
    else if (table) out.push({ check: `image ${algorithm}`, status: 'ok', detail: `built-in ${table}` });
    else out.push({ check: `image ${algorithm}`, status: 'fail', detail: `no built-in ${algorithm} image is known for ${config.awsRegion}`, fix: `set ${setting} to the region's image URI (SageMaker docs, "Docker Registry Paths")` });
  }
  if (!config.awsRoleArn) return out;
  const preprocess = config.awsProcessingImage ?? projectImage(config.awsRegion, config.awsRoleArn, config.awsEcrRepository);
  const monitor = config.awsModelMonitorImage ?? preprocess;
  for (const uri of [...new Set([preprocess, monitor])].filter((u): u is string => u !== undefined)) {
    const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([^@]+))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(uri);
    if (!m) {
      out.push({ check: 'image project', status: 'skip', detail: `${uri} is not an ECR image: not checked` });
      continue;
    }
    const [, registryId, region, repositoryName, imageTag, imageDigest] = m;
    if ((account && registryId !== account) || region !== config.awsRegion) {
      out.push({ check: 'image project', status: 'warn', detail: `${uri} is in account ${registryId}, region ${region}: not checked from here`, fix: 'make sure the execution role may pull it (ECR repository policy)' });
      continue;
    }
    try {
      await ecr.send(new DescribeImagesCommand({ registryId, repositoryName, imageIds: [imageDigest ? { imageDigest } : { imageTag: imageTag ?? 'latest' }] }));
      out.push({ check: 'image project', status: 'ok', detail: uri });
    } catch (err) {
      out.push({ check: 'image project', status: 'fail', detail: `${uri}: ${errorText(err)}`, fix: `build and push it: make image-push (MLOPS_AWS_REGION=${config.awsRegion} MLOPS_AWS_ECR_REPOSITORY=${repositoryName})` });
    }
  }
  return out;
}

async function listQuotas(quotas: ServiceQuotasClient, defaults: boolean): Promise<ServiceQuota[]> {
  const out: ServiceQuota[] = [];
  let token: string | undefined;
  do {
    const input = { ServiceCode: 'sagemaker', MaxResults: 100, ...(token ? { NextToken: token } : {}) };
    const page = defaults ? await quotas.send(new ListAWSDefaultServiceQuotasCommand(input)) : await quotas.send(new ListServiceQuotasCommand(input));
    out.push(...(page.Quotas ?? []));
    token = page.NextToken || undefined;
  } while (token);
  return out;
}

/** The account's instance quota of each configured type and job kind (applied values, else AWS's defaults). */
async function checkQuotas(quotas: ServiceQuotasClient, uses: InstanceTypeUse[]): Promise<PreflightCheck[]> {
  const needed = new Map<string, { use: InstanceTypeUse; settings: string[] }>();
  for (const use of uses) {
    const name = quotaName(use);
    const entry = needed.get(name);
    if (entry) entry.settings.push(use.setting);
    else needed.set(name, { use, settings: [use.setting] });
  }
  let values: Map<string, number>;
  try {
    values = new Map((await listQuotas(quotas, false)).filter((q) => q.QuotaName && q.Value !== undefined).map((q) => [q.QuotaName!, q.Value!]));
    if ([...needed.keys()].some((n) => !values.has(n))) {
      for (const q of await listQuotas(quotas, true)) if (q.QuotaName && q.Value !== undefined && !values.has(q.QuotaName)) values.set(q.QuotaName, q.Value);
    }
  } catch (err) {
    return [{ check: 'quotas', status: 'warn', detail: `Service Quotas could not be read (${errorText(err)}): instance quotas not checked`, fix: 'allow servicequotas:ListServiceQuotas and servicequotas:ListAWSDefaultServiceQuotas, or check the SageMaker quotas in the console' }];
  }
  const out: PreflightCheck[] = [];
  for (const [name, { use, settings }] of needed) {
    const value = values.get(name);
    const check = `quota ${use.kind} ${use.instanceType}`;
    const fix = `request an increase of '${name}' (Service Quotas, service Amazon SageMaker), or set ${settings.join(' / ')} to a type with quota`;
    if (value === undefined) out.push({ check, status: 'warn', detail: `no quota named '${name}' in this region`, fix });
    else if (value < 1) out.push({ check, status: 'fail', detail: `'${name}' is ${value}: every ${use.kind} job on it fails with ResourceLimitExceeded`, fix });
    else out.push({ check, status: 'ok', detail: `'${name}' is ${value} (used by ${settings.join(', ')})` });
  }
  return out;
}

/** One line per check: status, name, detail, and the fix of a warn or fail. */
export function formatChecks(checks: PreflightCheck[]): string {
  const width = Math.max(...checks.map((c) => c.check.length));
  return checks.map((c) => `${c.status.toUpperCase().padEnd(4)}  ${c.check.padEnd(width)}  ${c.detail}${c.fix ? ` -- fix: ${c.fix}` : ''}`).join('\n');
}
