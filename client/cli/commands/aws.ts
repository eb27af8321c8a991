import type { Command } from 'commander';
import { REPO_ROOT, taskQueuesOf } from '../../../common/config/parse';
import { trainingConfigInstanceTypes } from '../../../common/config/instance-types';
import { createPreflightClients } from '../../aws/clients';
import { pushProjectImage } from '../../aws/image-push';
import { formatChecks, runPreflight } from '../../aws/preflight';
import { applyConfigFile, readTrainingConfigFile } from '../../../services/training/config-file';
import { defaultTrainingConfig } from '../../../services/training/defaults';
import type { CliContext } from '../context';
import { printJson } from '../output';

/** The instance types the pipelines will ask for: the training config (defaults, or a --config file), scoring and monitoring. */
async function configuredInstanceTypes(ctx: CliContext, configFile?: string) {
  let training = defaultTrainingConfig(ctx.config.bucket, taskQueuesOf(ctx.config));
  if (configFile) training = applyConfigFile(training, await readTrainingConfigFile(configFile));
  return [
    ...trainingConfigInstanceTypes(training),
    // The batch scoring transform and the monitoring jobs run on ml.m5.large (client/scoring, client/schedules).
    { kind: 'transform' as const, instanceType: 'ml.m5.large', setting: 'batch scoring' },
    { kind: 'processing' as const, instanceType: 'ml.m5.large', setting: 'monitoring' },
  ];
}

export function registerAwsCommands(program: Command, ctx: CliContext): void {
  const aws = program.command('aws').description('the aws backend: check an account before a first run, push the project image');
  aws
    .command('preflight')
    .description('check credentials, region, bucket, execution role, images, instance quotas, SNS topic and SSM path (starts no paid work)')
    .option('--config <file>', 'training config file whose instance types to check (default: the built-in defaults)')
    .option('--json', 'print JSON')
    .action(async (options: { config?: string; json?: boolean }) => {
      const config = ctx.config;
      const clients = createPreflightClients({ region: config.awsRegion, ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}), maxAttempts: 2 });
      const checks = await runPreflight(config, clients, await configuredInstanceTypes(ctx, options.config));
      const failed = checks.filter((c) => c.status === 'fail').length;
      if (options.json) printJson({ ok: failed === 0, checks });
      else {
        console.log(formatChecks(checks));
        console.log(failed ? `\n${failed} check(s) failed: fix them before a first run` : '\nready for a first run');
      }
      if (failed) process.exitCode = 1;
    });
  aws
    .command('image-push')
    .description("build the project image for linux/amd64 (Dockerfile target sagemaker), tag it with the project version, push it to MLOPS_AWS_ECR_REPOSITORY and print its URI")
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const config = ctx.config;
      const clients = createPreflightClients({ region: config.awsRegion, ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}) });
      const uri = await pushProjectImage({ config, sts: clients.sts, ecr: clients.ecr, contextDir: REPO_ROOT });
      if (options.json) return printJson({ image: uri, settings: { MLOPS_AWS_PROCESSING_IMAGE: uri } });
      console.log(uri);
      console.error(`pushed; it is the default processing image of this account, region and repository (or set MLOPS_AWS_PROCESSING_IMAGE=${uri})`);
    });
}
