import { spawn } from 'node:child_process';
import { CreateRepositoryCommand, DescribeRepositoriesCommand, GetAuthorizationTokenCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { ecrImage, PROJECT_IMAGE_TAG } from '../../activities/backends/aws/images';
import type { Config } from '../../common/config/schema';

/** Runs a program with optional standard input; rejects on a non-zero exit. */
export type Runner = (command: string, args: string[], stdin?: string) => Promise<void>;

export const runCommand: Runner = (command, args, stdin) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [stdin === undefined ? 'inherit' : 'pipe', 'inherit', 'inherit'] });
    child.once('error', (err) => reject(new Error(`${command}: ${err.message}`)));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args[0] ?? ''} exited with ${code}`))));
    if (stdin !== undefined) child.stdin?.end(stdin);
  });

/**
 * `make image-push`: builds the project image's `sagemaker` stage for linux/amd64 (SageMaker's
 * instances are x86; an ARM laptop would otherwise build an image they cannot run), tags it with
 * the project version and pushes it to MLOPS_AWS_ECR_REPOSITORY in the caller's account and
 * MLOPS_AWS_REGION (created, scan on push, when missing). Returns the image URI, which is the
 * default MLOPS_AWS_PROCESSING_IMAGE for that account, region and repository.
 */
export async function pushProjectImage(options: { config: Config; sts: STSClient; ecr: ECRClient; run?: Runner; contextDir: string; log?: (line: string) => void }): Promise<string> {
  const { config, sts, ecr } = options;
  const run = options.run ?? runCommand;
  const log = options.log ?? ((line: string) => console.error(line));
  const account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
  if (!account) throw new Error('STS GetCallerIdentity returned no account');
  const repositoryName = config.awsEcrRepository;
  const uri = ecrImage(account, config.awsRegion, repositoryName, PROJECT_IMAGE_TAG);
  const registry = uri.slice(0, uri.indexOf('/'));
  try {
    await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }));
  } catch (err) {
    if ((err as Error).name !== 'RepositoryNotFoundException') throw err;
    log(`creating ECR repository ${repositoryName} in ${config.awsRegion}`);
    await ecr.send(
      new CreateRepositoryCommand({
        repositoryName,
        imageScanningConfiguration: { scanOnPush: true },
        ...(config.awsOutputKmsKeyId ? { encryptionConfiguration: { encryptionType: 'KMS', kmsKey: config.awsOutputKmsKeyId } } : {}),
        tags: Object.entries(config.awsTags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
  }
  const token = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData?.[0]?.authorizationToken;
  if (!token) throw new Error('ECR GetAuthorizationToken returned no token');
  const [user, password] = Buffer.from(token, 'base64').toString('utf8').split(':', 2);
  if (!user || !password) throw new Error('ECR returned an authorization token that is not user:password');
  await run('docker', ['login', '--username', user, '--password-stdin', registry], password);
  log(`building ${uri} (linux/amd64, target sagemaker)`);
  await run('docker', ['buildx', 'build', '--platform', 'linux/amd64', '--target', 'sagemaker', '--tag', uri, '--push', options.contextDir]);
  return uri;
}
