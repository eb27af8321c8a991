import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { configToEnv, ConfigError, describeConfig, parseConfig, REPO_ROOT, taskQueuesOf } from '../../../../common/config/parse';
import { CONFIG_ENV, stackPorts } from '../../../../common/config/schema';

const CWD = path.join(path.sep, 'srv', 'project');

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    parseConfig(env, CWD);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('parseConfig accepted a bad configuration');
}

describe('common/config/parse', () => {
  describe('parseConfig', () => {
    it('when no MLOPS_ variable is set, then the defaults run the local demo from the given cwd', () => {
      const config = parseConfig({}, CWD);

      assert.deepEqual(config, {
        home: path.join(CWD, '.mlops'),
        portBase: 7233,
        backend: 'local',
        temporalAddress: '127.0.0.1:7233',
        listenHost: '127.0.0.1',
        endpointHostUrl: 'http://127.0.0.1:8236',
        gatewayUrl: 'http://127.0.0.1:8237',
        webhookUrl: 'http://127.0.0.1:8238',
        dashboardUrl: 'http://127.0.0.1:8239',
        temporalUiUrl: 'http://127.0.0.1:8233',
        jobRunnerUrl: undefined,
        namespace: 'default',
        bucket: 'mlops',
        python: path.join(REPO_ROOT, '.venv', 'bin', 'python'),
        projectsDir: path.join(REPO_ROOT, 'projects'),
        temporalCli: path.join(REPO_ROOT, '.venv', 'bin', 'temporal'),
        notifyWebhookUrl: undefined,
        taskQueueSuffix: '',
        jobPollIntervalMs: 100,
        forkServer: true,
        gatewayCombiner: 'max',
        gatewayTimeoutMs: 2000,
        gatewayEndpointConcurrency: 16,
        gatewayBulkConcurrency: 2,
        gatewayOnPartial: 'answer',
        gatewayMaxBodyBytes: 1024 * 1024,
        groundTruthUri: 's3://mlops/ground-truth',
        retrainingPolicy: 'notify',
        retrainingCoolDown: '24 hours',
        retrainingDataUri: undefined,
        retrainingApprovalTimeout: '3 days',
        webhookToken: undefined,
        webhookHmacSecret: undefined,
        webhookRoutes: undefined,
        webhookSnsCertHosts: '^sns\\.[a-zA-Z0-9-]{3,}\\.amazonaws\\.com(\\.cn)?$',
        webhookSnsTopics: [],
        webhookSnsMaxAgeSeconds: 3600,
        webhookMaxBodyBytes: 256 * 1024,
        webhookDispatch: 'queued',
        awsRegion: 'us-east-1',
        awsRoleArn: undefined,
        awsEndpoint: undefined,
        s3UpstreamEndpoint: undefined,
        s3UpstreamAccessKeyId: undefined,
        s3UpstreamSecretAccessKey: undefined,
        awsSnsTopicArn: undefined,
        awsNamePrefix: 'mlops',
        awsVolumeSizeGb: 30,
        awsXgboostImage: undefined,
        awsLinearLearnerImage: undefined,
        awsProcessingImage: undefined,
        awsModelMonitorImage: undefined,
        awsVolumeKmsKeyId: undefined,
        awsOutputKmsKeyId: undefined,
        awsSubnets: [],
        awsSecurityGroupIds: [],
        awsNetworkIsolation: false,
        awsInterContainerEncryption: false,
        awsTags: {},
        awsKeepEndpointConfigs: 3,
        awsEcrRepository: 'temporal-mlops-algorithms',
      });
    });

    it('when the aws variables are set, then each lands in its key; bad ones are problems under their variable', () => {
      const config = parseConfig(
        {
          MLOPS_BACKEND: 'aws',
          MLOPS_AWS_REGION: 'eu-west-1',
          MLOPS_AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/mlops-sagemaker',
          MLOPS_AWS_ENDPOINT: 'http://127.0.0.1:5000',
          MLOPS_AWS_SNS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:mlops',
        },
        CWD,
      );
      assert.equal(config.awsRegion, 'eu-west-1');
      assert.equal(config.awsRoleArn, 'arn:aws:iam::111122223333:role/mlops-sagemaker');
      assert.equal(config.awsEndpoint, 'http://127.0.0.1:5000');
      assert.equal(config.awsSnsTopicArn, 'arn:aws:sns:eu-west-1:111122223333:mlops');
      const problems = problemsOf({ MLOPS_AWS_REGION: 'Europe', MLOPS_AWS_ROLE_ARN: 'mlops-role' });
      assert.ok(problems.some((p) => p.startsWith('MLOPS_AWS_REGION')), problems.join('\n'));
      assert.ok(problems.some((p) => p.startsWith('MLOPS_AWS_ROLE_ARN')), problems.join('\n'));
    });

    it('when the webhook variables are set, then the routes file is resolved against cwd and the topics are split on commas', () => {
      const config = parseConfig(
        {
          MLOPS_WEBHOOK_TOKEN: 'a-token-of-16-chars',
          MLOPS_WEBHOOK_HMAC_SECRET: 'a-secret-of-16-chars',
          MLOPS_WEBHOOK_ROUTES: 'conf/routes.json',
          MLOPS_WEBHOOK_SNS_CERT_HOSTS: '^sns\\.example\\.test$',
          MLOPS_WEBHOOK_SNS_TOPICS: ' arn:aws:sns:eu-west-1:111122223333:a, arn:aws:sns:eu-west-1:111122223333:b.fifo ,',
          MLOPS_WEBHOOK_SNS_MAX_AGE_SECONDS: '600',
          MLOPS_WEBHOOK_MAX_BODY: '65536',
        },
        CWD,
      );

      assert.equal(config.webhookRoutes, path.join(CWD, 'conf', 'routes.json'));
      assert.deepEqual(config.webhookSnsTopics, ['arn:aws:sns:eu-west-1:111122223333:a', 'arn:aws:sns:eu-west-1:111122223333:b.fifo']);
      assert.equal(config.webhookSnsMaxAgeSeconds, 600);
      assert.equal(config.webhookMaxBodyBytes, 65536);
      assert.ok(new RegExp(config.webhookSnsCertHosts).test('sns.example.test'));
    });

    it('when a webhook value is bad, then each is a problem under its variable', () => {
      const problems = problemsOf({
        MLOPS_WEBHOOK_TOKEN: 'short',
        MLOPS_WEBHOOK_SNS_CERT_HOSTS: '(unclosed',
        MLOPS_WEBHOOK_SNS_TOPICS: 'not-an-arn',
        MLOPS_WEBHOOK_MAX_BODY: '100',
      });

      assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), ['MLOPS_WEBHOOK_MAX_BODY', 'MLOPS_WEBHOOK_SNS_CERT_HOSTS', 'MLOPS_WEBHOOK_SNS_TOPICS', 'MLOPS_WEBHOOK_TOKEN']);
    });

    it('when the webhook token or HMAC secret is shorter than 16 characters, then it is refused naming the rule; 16 is enough', () => {
      for (const variable of ['MLOPS_WEBHOOK_TOKEN', 'MLOPS_WEBHOOK_HMAC_SECRET']) {
        assert.deepEqual(problemsOf({ [variable]: 'x'.repeat(15) }), [`${variable}: must be at least 16 characters`], variable);
        assert.doesNotThrow(() => parseConfig({ [variable]: 'x'.repeat(16) }, CWD), variable);
      }
    });

    it('when MLOPS_FORK_SERVER is set, then it turns the fork server on or off, survives the hand-over to stack processes, and a bad value names the variable', () => {
      assert.equal(parseConfig({}, CWD).forkServer, true, 'on by default');
      const off = parseConfig({ MLOPS_FORK_SERVER: 'false' }, CWD);
      assert.equal(off.forkServer, false);
      assert.equal(parseConfig(configToEnv(off), CWD).forkServer, false, 'the stack hands it to its processes as it was given');
      assert.equal(parseConfig(configToEnv(parseConfig({}, CWD)), CWD).forkServer, true);
      assert.ok(problemsOf({ MLOPS_FORK_SERVER: 'on' }).some((p) => p.startsWith('MLOPS_FORK_SERVER')));
    });

    it('when the environment is not given, then unrelated variables are ignored', () => {
      const config = parseConfig({ PATH: '/bin', HOME: '/root' }, CWD);

      assert.equal(config.home, path.join(CWD, '.mlops'));
    });

    it('when MLOPS_HOME is relative, then it is resolved against cwd; when absolute, then it is kept', () => {
      assert.equal(parseConfig({ MLOPS_HOME: 'data/home' }, CWD).home, path.join(CWD, 'data', 'home'));
      assert.equal(parseConfig({ MLOPS_HOME: '/var/mlops' }, CWD).home, '/var/mlops');
    });

    it('when only the port base is set, then the Temporal address follows it', () => {
      const config = parseConfig({ MLOPS_PORT_BASE: '17233' }, CWD);

      assert.equal(config.portBase, 17233);
      assert.equal(config.temporalAddress, '127.0.0.1:17233');
    });

    it('when the Temporal address is set, then it wins over the port base', () => {
      const config = parseConfig({ MLOPS_PORT_BASE: '17233', MLOPS_TEMPORAL_ADDRESS: 'temporal.internal:7233' }, CWD);

      assert.equal(config.temporalAddress, 'temporal.internal:7233');
    });

    it('when every variable is set to a good value, then each lands in its key', () => {
      const config = parseConfig(
        {
          MLOPS_HOME: '/h',
          MLOPS_BACKEND: 'aws',
          MLOPS_TEMPORAL_NAMESPACE: 'ml',
          MLOPS_BUCKET: 'my-bucket.data',
          MLOPS_PYTHON: '/usr/bin/python3',
          MLOPS_TEMPORAL_CLI: '/usr/bin/temporal',
          MLOPS_NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/x',
          MLOPS_TASK_QUEUE_SUFFIX: '-test.1',
          MLOPS_JOB_POLL_MS: '250',
        },
        CWD,
      );

      assert.equal(config.backend, 'aws');
      assert.equal(config.namespace, 'ml');
      assert.equal(config.bucket, 'my-bucket.data');
      assert.equal(config.python, '/usr/bin/python3');
      assert.equal(config.temporalCli, '/usr/bin/temporal');
      assert.equal(config.notifyWebhookUrl, 'https://hooks.example.com/x');
      assert.equal(config.jobPollIntervalMs, 250);
      assert.deepEqual(taskQueuesOf(config), { orchestration: 'mlops-orchestration-test.1', compute: 'mlops-compute-test.1' });
    });

    it('when a settings file is present, then its MLOPS_* keys apply under the environment, and its mistakes name the file', () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-config-file-'));
      try {
        writeFileSync(path.join(dir, 'mlops.config.json'), JSON.stringify({ MLOPS_BACKEND: 'aws', MLOPS_AWS_REGION: 'eu-west-1', MLOPS_BUCKET: 'from-file', MLOPS_WEBHOOK_SNS_TOPICS: ['arn:aws:sns:eu-west-1:111122223333:a'], MLOPS_JOB_POLL_MS: 500 }));
        const config = parseConfig({ MLOPS_BUCKET: 'from-env' }, dir);
        assert.equal(config.backend, 'aws');
        assert.equal(config.awsRegion, 'eu-west-1');
        assert.equal(config.bucket, 'from-env', 'the environment wins over the file');
        assert.deepEqual(config.webhookSnsTopics, ['arn:aws:sns:eu-west-1:111122223333:a']);
        assert.equal(config.jobPollIntervalMs, 500);
        assert.deepEqual(configToEnv(config).MLOPS_AWS_REGION, 'eu-west-1', 'the stack hands the file settings to its processes');
        assert.equal(parseConfig({ MLOPS_AWS_REGION: '' }, dir).awsRegion, 'eu-west-1', 'an empty variable does not hide the file');
        assert.equal(parseConfig({ MLOPS_CONFIG_FILE: 'none' }, dir).backend, 'local', 'MLOPS_CONFIG_FILE=none reads no file');

        writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ MLOPS_AWS_REGION: 'Europe', MLOPS_BAKEND: 'aws' }));
        const problems = problemsOf({ MLOPS_CONFIG_FILE: path.join(dir, 'other.json') });
        assert.ok(problems.some((p) => p.includes("unknown setting 'MLOPS_BAKEND'")), problems.join('\n'));
        writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ MLOPS_AWS_REGION: 'Europe' }));
        const bad = problemsOf({ MLOPS_CONFIG_FILE: path.join(dir, 'other.json') });
        assert.ok(bad.some((p) => p.startsWith(`MLOPS_AWS_REGION (from ${path.join(dir, 'other.json')})`)), bad.join('\n'));
        writeFileSync(path.join(dir, 'other.json'), '{ not json');
        assert.match(problemsOf({ MLOPS_CONFIG_FILE: path.join(dir, 'other.json') })[0]!, /other\.json: not valid JSON/);
        assert.match(problemsOf({ MLOPS_CONFIG_FILE: path.join(dir, 'missing.json') })[0]!, /MLOPS_CONFIG_FILE: cannot read/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('when the webhook URL is empty, then it counts as not set', () => {
      assert.equal(parseConfig({ MLOPS_NOTIFY_WEBHOOK_URL: '' }, CWD).notifyWebhookUrl, undefined);
    });

    it('when several values are bad, then ConfigError lists every one with its variable name at once', () => {
      const problems = problemsOf({
        MLOPS_PORT_BASE: 'abc',
        MLOPS_BUCKET: 'Bad_Bucket',
        MLOPS_BACKEND: 'gcp',
        MLOPS_JOB_POLL_MS: '5',
        MLOPS_NOTIFY_WEBHOOK_URL: 'not a url',
        MLOPS_TASK_QUEUE_SUFFIX: 'has space',
      });

      assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), [
        'MLOPS_BACKEND',
        'MLOPS_BUCKET',
        'MLOPS_JOB_POLL_MS',
        'MLOPS_NOTIFY_WEBHOOK_URL',
        'MLOPS_PORT_BASE',
        'MLOPS_TASK_QUEUE_SUFFIX',
      ]);
      assert.ok(problems.find((p) => p.startsWith('MLOPS_BUCKET:'))?.includes('must be a valid bucket name'));
    });

    it('when the error is printed, then its message has one line per problem', () => {
      try {
        parseConfig({ MLOPS_PORT_BASE: 'abc', MLOPS_BUCKET: 'Bad_Bucket' }, CWD);
        assert.fail('expected a ConfigError');
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.name, 'ConfigError');
        assert.match(err.message, /^invalid configuration:\n {2}- MLOPS_PORT_BASE: .*\n {2}- MLOPS_BUCKET: .*$/);
      }
    });

    it('when the port base is out of range or not an integer, then it is a problem', () => {
      for (const value of ['80', '64001', '7233.5', '']) {
        const problems = problemsOf({ MLOPS_PORT_BASE: value });
        assert.equal(problems.length, 1, value);
        assert.ok(problems[0]?.startsWith('MLOPS_PORT_BASE: '), problems[0]);
      }
    });

    it('when a retraining setting is bad, then the problem names its variable', () => {
      assert.ok(problemsOf({ MLOPS_RETRAINING_POLICY: 'panic' })[0]?.startsWith('MLOPS_RETRAINING_POLICY: '));
      assert.ok(problemsOf({ MLOPS_RETRAINING_COOL_DOWN: 'soon' })[0]?.startsWith('MLOPS_RETRAINING_COOL_DOWN: '));
      assert.ok(problemsOf({ MLOPS_RETRAINING_DATA_URI: '/tmp/cars.csv' })[0]?.startsWith('MLOPS_RETRAINING_DATA_URI: '));
    });

    it('when the poll interval is above a minute, then it is a problem', () => {
      assert.ok(problemsOf({ MLOPS_JOB_POLL_MS: '60001' })[0]?.startsWith('MLOPS_JOB_POLL_MS: '));
    });
  });

  describe('where the services are reached', () => {
    it('when only the port base is set, then every service URL is on 127.0.0.1 at its offset from the base', () => {
      const config = parseConfig({ MLOPS_PORT_BASE: '17233' }, CWD);

      assert.deepEqual(
        [config.listenHost, config.endpointHostUrl, config.gatewayUrl, config.webhookUrl, config.dashboardUrl, config.temporalUiUrl],
        ['127.0.0.1', 'http://127.0.0.1:18236', 'http://127.0.0.1:18237', 'http://127.0.0.1:18238', 'http://127.0.0.1:18239', 'http://127.0.0.1:18233'],
      );
    });

    it('when the services are reached by name (a compose network), then the URLs are taken as given, without a trailing slash', () => {
      const config = parseConfig({ MLOPS_LISTEN_HOST: '0.0.0.0', MLOPS_ENDPOINT_HOST_URL: 'http://endpoint-host:8236/', MLOPS_JOB_RUNNER_URL: 'http://job-runner:8240', MLOPS_TEMPORAL_UI_URL: 'http://127.0.0.1:18233' }, CWD);

      assert.equal(config.listenHost, '0.0.0.0');
      assert.equal(config.endpointHostUrl, 'http://endpoint-host:8236');
      assert.equal(config.jobRunnerUrl, 'http://job-runner:8240');
      assert.equal(config.temporalUiUrl, 'http://127.0.0.1:18233');
    });

    it('when a service URL has a path or credentials, or the listen host is not a host, then each is refused naming its variable', () => {
      assert.throws(
        () => parseConfig({ MLOPS_GATEWAY_URL: 'http://gateway:8237/v1', MLOPS_JOB_RUNNER_URL: 'http://user:pw@job-runner:8240', MLOPS_LISTEN_HOST: 'a host' }, CWD),
        (err: ConfigError) =>
          err.problems.some((p) => p.startsWith('MLOPS_GATEWAY_URL: must be an http(s)://host:port URL')) &&
          err.problems.some((p) => p.startsWith('MLOPS_JOB_RUNNER_URL: ')) &&
          err.problems.some((p) => p.startsWith('MLOPS_LISTEN_HOST: must be a host name or an IP address')),
      );
    });
  });

  describe('describeConfig', () => {
    it('when the webhook URL carries credentials, a path or a query, then only scheme, host and port are shown', () => {
      const config = parseConfig({ MLOPS_NOTIFY_WEBHOOK_URL: 'https://user:pa55@hooks.example.com:8443/notify-path?token=abc123&channel=ml&api_key=k9' }, CWD);

      const described = describeConfig(config);

      assert.equal(described.MLOPS_NOTIFY_WEBHOOK_URL, 'https://hooks.example.com:8443/***');
      for (const secret of ['pa55', 'abc123', 'k9', 'notify-path']) assert.ok(!JSON.stringify(described).includes(secret), secret);
    });

    it('when the secret is in the URL path (Slack style), then the path is hidden', () => {
      const config = parseConfig({ MLOPS_NOTIFY_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXXSECRET' }, CWD);

      assert.equal(describeConfig(config).MLOPS_NOTIFY_WEBHOOK_URL, 'https://hooks.slack.com/***');
    });

    it('when the webhook token and HMAC secret are set, then they are masked', () => {
      const described = describeConfig(parseConfig({ MLOPS_WEBHOOK_TOKEN: 'tok-0123456789abcdef', MLOPS_WEBHOOK_HMAC_SECRET: 'sec-0123456789abcdef' }, CWD));

      assert.equal(described.MLOPS_WEBHOOK_TOKEN, '***');
      assert.equal(described.MLOPS_WEBHOOK_HMAC_SECRET, '***');
      assert.ok(!JSON.stringify(described).includes('0123456789abcdef'));
    });

    it('when describing, then every set key appears under its variable name as a string', () => {
      const described = describeConfig(parseConfig({}, CWD));

      assert.equal(described.MLOPS_PORT_BASE, '7233');
      assert.equal(described.MLOPS_HOME, path.join(CWD, '.mlops'));
      assert.equal('MLOPS_NOTIFY_WEBHOOK_URL' in described, false);
      const unset = [
        'MLOPS_NOTIFY_WEBHOOK_URL',
        'MLOPS_WEBHOOK_TOKEN',
        'MLOPS_WEBHOOK_HMAC_SECRET',
        'MLOPS_WEBHOOK_ROUTES',
        'MLOPS_AWS_ROLE_ARN',
        'MLOPS_AWS_ENDPOINT',
        'MLOPS_S3_UPSTREAM_ENDPOINT',
        'MLOPS_S3_UPSTREAM_ACCESS_KEY_ID',
        'MLOPS_S3_UPSTREAM_SECRET_ACCESS_KEY',
        'MLOPS_AWS_SNS_TOPIC_ARN',
        'MLOPS_AWS_XGBOOST_IMAGE',
        'MLOPS_AWS_LINEAR_LEARNER_IMAGE',
        'MLOPS_AWS_PROCESSING_IMAGE',
        'MLOPS_AWS_MODEL_MONITOR_IMAGE',
        'MLOPS_AWS_VOLUME_KMS_KEY_ID',
        'MLOPS_AWS_OUTPUT_KMS_KEY_ID',
        'MLOPS_RETRAINING_DATA_URI',
        'MLOPS_JOB_RUNNER_URL',
      ];
      assert.deepEqual(Object.keys(described).sort(), Object.values(CONFIG_ENV).filter((n) => !unset.includes(n)).sort());
    });
  });

  describe('stackPorts', () => {
    it('when given a port base, then Temporal uses it and its UI sits 1000 above', () => {
      const ports = stackPorts(7233);

      assert.equal(ports.temporal, 7233);
      assert.equal(ports.temporalUi, 8233);
    });

    it('when the port base is at its allowed extremes, then all ports are distinct and valid', () => {
      for (const base of [1024, 64000]) {
        const ports = Object.values(stackPorts(base));

        assert.equal(new Set(ports).size, ports.length);
        assert.ok(ports.every((p) => Number.isInteger(p) && p >= 1024 && p <= 65535), JSON.stringify(ports));
      }
    });
  });
});
