import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Backend } from '../../activities/backends/types';
import { REPO_ROOT } from '../../common/config/parse';
import { mlops } from '../helpers/cli';
import { eventually, freePortBase, tempDir } from '../helpers/integration';
import { createMotoBackend, motoEnv, startMoto, type MotoServer } from '../helpers/moto';

interface StatusJson {
  services: { name: string; state: string }[];
}

/**
 * `mlops stack up` on the aws backend, configured by a settings file and aimed at moto: the real
 * processes (dev server, worker, gateway, webhook, dashboard; no local endpoint host) talk to the
 * emulator over HTTP. A file put into S3 starts a scoring run through the webhook; with no champion
 * in SSM it fails, and the worker's failure notification arrives in the emulator's SNS topic.
 */
describe('mlops stack on the aws backend (integration: settings file, real processes, moto over HTTP)', function () {
  this.timeout(300_000);
  let moto: MotoServer;
  let backend: Backend;
  let topicArn: string;
  let home: string;
  let env: Record<string, string>;

  before(async () => {
    moto = await startMoto();
    await moto.reset();
    const aws = await createMotoBackend(moto, { bucket: 'mlops' });
    backend = aws.backend;
    topicArn = aws.topicArn;
    home = await tempDir('aws-stack');
    const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...settings } = motoEnv(moto, topicArn);
    const settingsFile = path.join(home, 'mlops.config.json');
    await fs.writeFile(settingsFile, JSON.stringify(settings, null, 2));
    env = { MLOPS_HOME: home, MLOPS_PORT_BASE: String(await freePortBase()), MLOPS_CONFIG_FILE: settingsFile, AWS_ACCESS_KEY_ID: AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: AWS_SECRET_ACCESS_KEY!, MLOPS_JOB_POLL_MS: '50' };
  });

  after(async () => {
    if (env) await mlops(env, 'stack', 'down');
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  it('starts without a local endpoint host, reads its settings from the file, and a file put into S3 reaches the worker, which notifies through SNS', async () => {
    const up = await mlops(env, 'stack', 'up');
    assert.equal(up.code, 0, up.stderr);
    const status = JSON.parse((await mlops(env, 'stack', 'status', '--json')).stdout) as StatusJson;
    assert.deepEqual(status.services.map((s) => s.name), ['temporal', 'temporal-ui', 'worker', 'gateway', 'webhook', 'dashboard']);
    assert.ok(status.services.every((s) => s.state === 'running'), JSON.stringify(status));
    const config = JSON.parse((await mlops(env, 'config', '--json')).stdout) as Record<string, string>;
    assert.equal(config.MLOPS_BACKEND, 'aws');
    assert.equal(config.MLOPS_AWS_ENDPOINT, moto.url);

    const put = await mlops(env, 'data', 'put', path.join(REPO_ROOT, 'data', 'scoring-sample.csv'), 's3://mlops/scoring/scoring-sample.csv');
    assert.equal(put.code, 0, put.stderr);
    assert.ok(await backend.objectStore.head('s3://mlops/scoring/scoring-sample.csv'), 'the object is in moto S3');
    const failed = await eventually(
      'the scoring failure notification in moto SNS',
      async () => (await moto.snsMessages(topicArn)).map((m) => JSON.parse(m.message) as { kind: string; message: string }).find((n) => n.kind === 'scoring.failed'),
      60_000,
      250,
    );
    assert.match(failed.message, /no approved model/);
  });
});
