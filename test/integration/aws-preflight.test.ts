/**
 * `mlops aws preflight` and `mlops aws image-push` against moto (STS, IAM, S3, SNS, SSM, ECR,
 * SageMaker); Service Quotas, which moto does not have for SageMaker, from the HTTP fake with
 * real-shaped answers.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { pushProjectImage } from '../../client/aws/image-push';
import { createPreflightClients } from '../../client/aws/clients';
import { formatChecks, quotaName, runPreflight, TRUST_POLICY, trustsSageMaker, type PreflightCheck } from '../../client/aws/preflight';
import { defaultTrainingConfig } from '../../services/training/defaults';
import { PROJECT_IMAGE_TAG, resolveImages } from '../../activities/backends/aws/images';
import { trainingConfigInstanceTypes } from '../../common/config/instance-types';
import { parseConfig } from '../../common/config/parse';
import { recorded, startAwsFake, type AwsFake } from '../helpers/aws-fake';
import { mlops } from '../helpers/cli';
import { createMotoBackend, MOTO_ACCOUNT, MOTO_CREDENTIALS, MOTO_REGION, motoEnv, startMoto, type MotoServer } from '../helpers/moto';

const byName = (checks: PreflightCheck[], name: string) => checks.find((c) => c.check === name);

describe('mlops aws preflight and image-push (moto, and an HTTP fake for Service Quotas)', function () {
  this.timeout(120_000);
  let moto: MotoServer;
  let fake: AwsFake;
  let topicArn: string;
  const roleArn = `arn:aws:iam::${MOTO_ACCOUNT}:role/mlops-preflight`;

  before(async () => {
    moto = await startMoto();
    await moto.reset();
    const aws = await createMotoBackend(moto, { bucket: 'preflight', topicName: 'preflight-topic' });
    topicArn = aws.topicArn;
    const common = { region: MOTO_REGION, endpoint: moto.url, credentials: MOTO_CREDENTIALS };
    const iam = new IAMClient(common);
    await iam.send(new CreateRoleCommand({ RoleName: 'mlops-preflight', AssumeRolePolicyDocument: JSON.stringify(TRUST_POLICY) }));
    await iam.send(new CreateRoleCommand({ RoleName: 'lambda-only', AssumeRolePolicyDocument: JSON.stringify({ ...TRUST_POLICY, Statement: [{ ...TRUST_POLICY.Statement[0], Principal: { Service: 'lambda.amazonaws.com' } }] }) }));
    const ecr = new ECRClient(common);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'temporal-mlops-algorithms' }));
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1, digest: `sha256:${'a'.repeat(64)}` }, layers: [] });
    await ecr.send(new PutImageCommand({ repositoryName: 'temporal-mlops-algorithms', imageManifest: manifest, imageTag: PROJECT_IMAGE_TAG }));
  });
  beforeEach(async () => {
    fake = await startAwsFake();
    fake.on('ServiceQuotasV20190624.ListServiceQuotas', recorded('ServiceQuotas.ListServiceQuotas.sagemaker'));
    fake.on('ServiceQuotasV20190624.ListAWSDefaultServiceQuotas', recorded('ServiceQuotas.ListAWSDefaultServiceQuotas.sagemaker'));
  });
  afterEach(async () => {
    await fake.close();
  });

  const config = (env: Record<string, string> = {}) => parseConfig({ ...motoEnv(moto, topicArn), MLOPS_BUCKET: 'preflight', MLOPS_AWS_ROLE_ARN: roleArn, ...env }, os.tmpdir());
  const preflight = (env: Record<string, string> = {}) => {
    const c = config(env);
    const clients = createPreflightClients({ region: c.awsRegion, endpoint: moto.url, credentials: MOTO_CREDENTIALS, maxAttempts: 1 }, { quotasEndpoint: fake.url });
    return runPreflight(c, clients, trainingConfigInstanceTypes(defaultTrainingConfig(c.bucket, { orchestration: 'o', compute: 'c' })));
  };

  it('when the account is set up, then every check passes but the instance quota that is 0, whose line names the quota and the setting to change', async () => {
    const checks = await preflight();
    const summary = Object.fromEntries(checks.map((c) => [c.check, c.status]));
    assert.deepEqual(summary, {
      credentials: 'ok',
      sagemaker: 'ok',
      bucket: 'ok',
      'execution role': 'ok',
      'image xgboost': 'ok',
      'image linear-learner': 'ok',
      'image project': 'ok',
      'quota training ml.m5.large': 'fail',
      'quota processing ml.t3.medium': 'ok',
      'quota transform ml.m5.large': 'ok',
      'quota endpoint ml.m5.large': 'ok',
      'sns topic': 'ok',
      'ssm path': 'ok',
    });
    const training = byName(checks, 'quota training ml.m5.large')!;
    assert.match(training.detail, /'ml\.m5\.large for training job usage' is 0/);
    assert.match(training.fix ?? '', /models\.xgboost\.instanceType \/ models\.linear-learner\.instanceType/);
    assert.equal(quotaName({ kind: 'endpoint', instanceType: 'ml.m5.large' }), 'ml.m5.large for endpoint usage');
    // One line per check, the fix on the line of the failure.
    const lines = formatChecks(checks).split('\n');
    assert.equal(lines.length, checks.length);
    assert.match(lines.find((l) => l.startsWith('FAIL'))!, /^FAIL {2}quota training ml\.m5\.large +'ml\.m5\.large for training job usage' is 0: .* -- fix: request an increase/);
    // The bucket check cleaned up after itself.
    const left = await createPreflightClients({ region: MOTO_REGION, endpoint: moto.url, credentials: MOTO_CREDENTIALS }).s3.send(new ListObjectsV2Command({ Bucket: 'preflight', Prefix: 'mlops-preflight/' }));
    assert.equal(left.KeyCount ?? 0, 0);
  });

  it('when the bucket, the role trust, the topic and the project image are wrong, then each check fails with its fix', async () => {
    const checks = await preflight({
      MLOPS_BUCKET: 'no-such-bucket',
      MLOPS_AWS_ROLE_ARN: `arn:aws:iam::${MOTO_ACCOUNT}:role/lambda-only`,
      MLOPS_AWS_SNS_TOPIC_ARN: `arn:aws:sns:${MOTO_REGION}:${MOTO_ACCOUNT}:missing-topic`,
      MLOPS_AWS_ECR_REPOSITORY: 'not-pushed-yet',
      MLOPS_AWS_REGION: 'us-east-1',
    });
    const bucket = byName(checks, 'bucket')!;
    assert.equal(bucket.status, 'fail');
    assert.match(bucket.fix ?? '', /create s3:\/\/no-such-bucket/);
    const role = byName(checks, 'execution role')!;
    assert.equal(role.status, 'fail');
    assert.match(role.fix ?? '', /sagemaker\.amazonaws\.com/);
    assert.equal(byName(checks, 'sns topic')?.status, 'fail');
    const image = byName(checks, 'image project')!;
    assert.equal(image.status, 'fail');
    assert.match(image.fix ?? '', /make image-push/);
  });

  it('when the region has no built-in images in the table and no override, then the image checks fail naming the setting', async () => {
    const checks = await preflight({ MLOPS_AWS_REGION: 'xx-nowhere-1' });
    assert.equal(byName(checks, 'image xgboost')?.status, 'fail');
    assert.match(byName(checks, 'image xgboost')?.fix ?? '', /MLOPS_AWS_XGBOOST_IMAGE/);
  });

  it('trust policies: SageMaker must be an allowed principal of sts:AssumeRole (IAM returns the document URL-encoded)', () => {
    assert.equal(trustsSageMaker(encodeURIComponent(JSON.stringify(TRUST_POLICY))), true);
    assert.equal(trustsSageMaker(JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com', 'sagemaker.amazonaws.com'] }, Action: ['sts:AssumeRole', 'sts:TagSession'] }] })), true);
    assert.equal(trustsSageMaker(JSON.stringify({ Statement: [{ Effect: 'Deny', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }] })), false);
    assert.equal(trustsSageMaker('not json'), false);
  });

  it('when run as a command with --json, then it prints every check and exits 1 on a failure (Service Quotas unreachable on moto is a warning)', async () => {
    const result = await mlops({ ...motoEnv(moto, topicArn), MLOPS_CONFIG_FILE: 'none', MLOPS_BUCKET: 'preflight', MLOPS_AWS_ROLE_ARN: `arn:aws:iam::${MOTO_ACCOUNT}:role/lambda-only` }, 'aws', 'preflight', '--json');
    assert.equal(result.code, 1, result.stderr);
    const out = JSON.parse(result.stdout) as { ok: boolean; checks: PreflightCheck[] };
    assert.equal(out.ok, false);
    assert.equal(byName(out.checks, 'execution role')?.status, 'fail');
    assert.equal(byName(out.checks, 'quotas')?.status, 'warn');
    assert.equal(byName(out.checks, 'bucket')?.status, 'ok');
  });

  it('image-push: builds the sagemaker target for linux/amd64, tags it with the version, logs in to and pushes to the configured repository (created when missing), and returns the URI', async () => {
    const calls: { command: string; args: string[]; stdin?: string }[] = [];
    const c = config({ MLOPS_AWS_ECR_REPOSITORY: 'team/mlops-processing' });
    const clients = createPreflightClients({ region: c.awsRegion, endpoint: moto.url, credentials: MOTO_CREDENTIALS });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-push-'));
    try {
      const uri = await pushProjectImage({ config: c, sts: clients.sts, ecr: clients.ecr, contextDir: dir, log: () => undefined, run: async (command, args, stdin) => void calls.push({ command, args, ...(stdin ? { stdin } : {}) }) });
      assert.equal(uri, `${MOTO_ACCOUNT}.dkr.ecr.${MOTO_REGION}.amazonaws.com/team/mlops-processing:${PROJECT_IMAGE_TAG}`);
      assert.deepEqual(calls.map((x) => [x.command, ...x.args.slice(0, 2)]), [
        ['docker', 'login', '--username'],
        ['docker', 'buildx', 'build'],
      ]);
      assert.ok(calls[0]!.stdin && calls[0]!.stdin.length > 0, 'the password goes through stdin, not the command line');
      assert.deepEqual(calls[1]!.args, ['buildx', 'build', '--platform', 'linux/amd64', '--target', 'sagemaker', '--tag', uri, '--push', dir]);
      // The default processing image of this account, region and repository is the URI pushed.
      assert.equal(resolveImages({ region: c.awsRegion, roleArn, repository: c.awsEcrRepository }).preprocess, uri);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
