import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { mlops } from '../helpers/cli';
import { REPO_ROOT } from '../../common/config/parse';
import { countCaptureRecords, DATASET, eventually, freePortBase, tempDir } from '../helpers/integration';

const SCORING_SAMPLE = path.join(REPO_ROOT, 'data', 'scoring-sample.csv');

interface StatusJson {
  services: { name: string; state: string; pid: number | null; url: string | null }[];
}

describe('mlops CLI (integration: two stacks side by side)', function () {
  this.timeout(300_000);
  const stacks: { home: string; env: Record<string, string> }[] = [];

  before(async () => {
    for (let i = 0; i < 2; i++) {
      const home = await tempDir(`cli-${i}`);
      const base = await freePortBase();
      stacks.push({ home, env: { MLOPS_HOME: home, MLOPS_PORT_BASE: String(base), MLOPS_JOB_POLL_MS: '50' } });
    }
  });

  after(async () => {
    for (const s of stacks) {
      await mlops(s.env, 'stack', 'down');
      await fs.rm(s.home, { recursive: true, force: true });
    }
  });

  it('when two stacks with different MLOPS_HOME and MLOPS_PORT_BASE start, then both run and report their services as JSON', async () => {
    const ups = await Promise.all(stacks.map((s) => mlops(s.env, 'stack', 'up')));
    for (const up of ups) assert.equal(up.code, 0, up.stderr);
    const statuses = await Promise.all(stacks.map(async (s) => JSON.parse((await mlops(s.env, 'stack', 'status', '--json')).stdout) as StatusJson));
    for (const [i, status] of statuses.entries()) {
      assert.deepEqual(status.services.map((x) => x.name), ['temporal', 'temporal-ui', 'endpoint-host', 'worker', 'gateway', 'webhook', 'dashboard']);
      for (const service of status.services) {
        assert.equal(service.state, 'running', `${service.name} of stack ${i}`);
        assert.ok(service.pid && service.pid > 0);
      }
      const ui = status.services.find((x) => x.name === 'temporal-ui')!;
      assert.equal(ui.url, `http://127.0.0.1:${Number(stacks[i]!.env.MLOPS_PORT_BASE) + 1000}`);
      const page = await fetch(ui.url!);
      assert.equal(page.status, 200, 'the Temporal Web UI answers');
      const dashboard = status.services.find((x) => x.name === 'dashboard')!;
      assert.equal(dashboard.url, `http://127.0.0.1:${Number(stacks[i]!.env.MLOPS_PORT_BASE) + 1006}`);
      assert.equal((await fetch(`${dashboard.url}/api/filters`)).status, 200, 'the dashboard answers');
    }
    assert.notEqual(statuses[0]!.services[0]!.pid, statuses[1]!.services[0]!.pid);
    const again = await mlops(stacks[0]!.env, 'stack', 'up');
    assert.equal(again.code, 0);
    assert.match(again.stderr, /already running/);
  });

  it('when `train --wait --json` runs, then it prints one JSON object with per-model decision, metrics, artifact and baselines', async () => {
    const env = stacks[0]!.env;
    const result = await mlops(env, 'train', '--data', DATASET, '--wait', '--json');
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      workflowId: string;
      status: string;
      uiUrl: string;
      models: { family: string; version: number; decision: { outcome: string; reason: string }; metrics: { validation: Record<string, number>; test: Record<string, number> }; artifactUri: string; baselines: { dataQuality: unknown; modelQuality: unknown } }[];
    };
    assert.equal(report.status, 'completed');
    assert.match(report.workflowId, /^training\/mlops\/training\/kbb-2005-gm-used-cars\.csv@[0-9a-f]{32}$/);
    assert.match(report.uiUrl, new RegExp(`^http://127\\.0\\.0\\.1:${Number(env.MLOPS_PORT_BASE) + 1000}/namespaces/default/workflows/`));
    assert.deepEqual(report.models.map((m) => m.family), ['xgboost', 'linear-learner']);
    for (const m of report.models) {
      assert.equal(m.version, 1);
      assert.equal(m.decision.outcome, 'accepted');
      for (const split of ['validation', 'test'] as const) for (const k of ['rmse', 'mae', 'r2']) assert.equal(typeof m.metrics[split][k], 'number');
      assert.match(m.artifactUri, /^s3:\/\/mlops\/.*model\.tar\.gz$/);
      assert.ok(m.baselines.dataQuality && m.baselines.modelQuality);
    }
    assert.match(result.stderr, /training \| xgboost: training/, 'progress is shown on stderr');

    const models = JSON.parse((await mlops(env, 'models', 'list', '--json')).stdout) as { models: { family: string; status: string; champion: boolean }[] };
    assert.deepEqual(models.models.map((m) => [m.family, m.status, m.champion]), [['linear-learner', 'Approved', true], ['xgboost', 'Approved', true]]);
    const notes = JSON.parse((await mlops(env, 'notifications', '--json')).stdout) as { notifications: { kind: string }[] };
    assert.deepEqual(notes.notifications.map((n) => n.kind), ['training.succeeded']);
    const runs = JSON.parse((await mlops(env, 'runs', 'list', '--pipeline', 'training', '--json')).stdout) as { runs: { workflowId: string; status: string; outcome: string }[] };
    assert.deepEqual(runs.runs.map((r) => [r.workflowId, r.status, r.outcome]), [[report.workflowId, 'completed', 'accepted']]);
    const shown = await mlops(env, 'runs', 'show', report.workflowId);
    assert.equal(shown.code, 0);
    assert.match(shown.stdout, /xgboost version 1: ACCEPTED/);
    // The other stack is untouched.
    const other = JSON.parse((await mlops(stacks[1]!.env, 'models', 'list', '--json')).stdout) as { models: unknown[] };
    assert.deepEqual(other.models, []);
  });

  it('when `data put` writes the trained dataset again, then the webhook maps it to the same run and starts nothing new; an unrouted object starts nothing', async () => {
    const env = stacks[0]!.env;
    const again = await mlops(env, 'data', 'put', DATASET, 's3://mlops/training/', '--json');
    assert.equal(again.code, 0, again.stderr);
    const answer = JSON.parse(again.stdout) as { object: { uri: string; etag: string }; webhook: { status: number; runs: { workflowId: string; started: boolean; pipeline: string }[] } };
    assert.equal(answer.object.uri, 's3://mlops/training/kbb-2005-gm-used-cars.csv');
    assert.equal(answer.webhook.status, 202);
    // The stack's webhook journals the event and answers at once (queued); its dispatcher then
    // finds the run `train` started for this data version.
    assert.deepEqual(answer.webhook.runs, [{ workflowId: `training/mlops/training/kbb-2005-gm-used-cars.csv@${answer.object.etag}`, started: false, queued: true, pipeline: 'training' }], 'the run `train` started for this data version');
    const dispatched = path.join(stacks[0]!.home, 'webhook', 'dispatched.jsonl');
    await eventually('the inbox to dispatch the event', async () => (await fs.readFile(dispatched, 'utf8').catch(() => '')).includes('"outcome":"existing"'));

    const notes = path.join(stacks[0]!.home, 'notes.txt');
    await fs.writeFile(notes, 'not training data');
    const ignored = await mlops(env, 'data', 'put', notes, 's3://mlops/training/notes.txt');
    assert.equal(ignored.code, 0, ignored.stderr);
    assert.match(ignored.stdout, /no run started: no routing rule matches s3:\/\/mlops\/training\/notes\.txt/);
    assert.equal((await fs.stat(path.join(stacks[0]!.home, 'webhook-token'))).mode & 0o777, 0o600, 'the generated token is private');
    const log = await fs.readFile(path.join(stacks[0]!.home, 'logs', 'webhook.log'), 'utf8');
    assert.match(log, /POST \/hooks\/minio 202 queued training\/mlops\/training\/kbb-2005-gm-used-cars\.csv@[0-9a-f]{32}/);
    const runs = JSON.parse((await mlops(env, 'runs', 'list', '--pipeline', 'training', '--json')).stdout) as { runs: unknown[] };
    assert.equal(runs.runs.length, 1, 'no second run');
  });

  it('when requests go through the gateway and run-now --include-current-minute --wait runs, then the run takes this minute\'s capture, the dashboard counts every request, and runs list and show cover every pipeline', async () => {
    const env = stacks[0]!.env;
    const home = stacks[0]!.home;
    // A few records, as the demo sends (a big request fans out to many endpoint calls at once).
    const few = path.join(home, 'few.csv');
    await fs.writeFile(few, (await fs.readFile(SCORING_SAMPLE, 'utf8')).split('\n').slice(0, 6).join('\n') + '\n');
    const predicted = await mlops(env, 'predict', few, '--json');
    assert.equal(predicted.code, 0, predicted.stderr);
    const records = (JSON.parse(predicted.stdout) as { predictions: unknown[] }).predictions.length;
    await eventually('the capture written', async () => (await countCaptureRecords(home, 'mlops-xgboost')) === records);
    const scored = await mlops(env, 'score', SCORING_SAMPLE, '--model', 'xgboost', '--wait', '--json');
    assert.equal(scored.code, 0, scored.stderr);

    const monitored = await mlops(env, 'monitor', 'run-now', '--model', 'xgboost', '--include-current-minute', '--wait', '--json');

    assert.equal(monitored.code, 0, monitored.stderr);
    assert.match(monitored.stderr, /waiting \d+ s for the real-time capture of the minute ending \S+ to close/);
    const run = JSON.parse(monitored.stdout) as { mode: string; workflowId: string; captureThrough: string; status: string; result: { outcome: string; filesRead: number; dataQuality?: unknown }; driftRecords: unknown[] };
    assert.equal(run.mode, 'started', 'a manual run (no schedule)');
    assert.equal(run.workflowId, 'monitoring-xgboost/manual');
    assert.equal(run.status, 'completed');
    assert.ok(run.result.filesRead >= 2, `the real-time capture file(s) and the scored file: ${run.result.filesRead}`);
    assert.ok(Array.isArray(run.driftRecords));
    const dashboard = `http://127.0.0.1:${Number(env.MLOPS_PORT_BASE) + 1006}`;
    const hours = (await (await fetch(`${dashboard}/api/inference?family=xgboost`)).json()) as { hours: { requests: number }[] };
    assert.equal(hours.hours.reduce((n, h) => n + h.requests, 0), records, 'every real-time request is counted');

    const all = JSON.parse((await mlops(env, 'runs', 'list', '--json')).stdout) as { runs: { pipeline: string; workflowId: string; families: string[] | null }[] };
    assert.deepEqual([...new Set(all.runs.map((r) => r.pipeline))].sort(), ['lifecycle', 'monitoring', 'scoring', 'training']);
    const monitoring = JSON.parse((await mlops(env, 'runs', 'list', '--pipeline', 'monitoring', '--json')).stdout) as { runs: { workflowId: string; outcome: string; families: string[] }[] };
    assert.deepEqual(monitoring.runs.map((r) => [r.workflowId, r.outcome, r.families]), [['monitoring-xgboost/manual', run.result.outcome, ['xgboost']]]);
    const table = await mlops(env, 'runs', 'list', '--pipeline', 'monitoring');
    assert.match(table.stdout, /^WORKFLOW ID\s+STATUS\s+OUTCOME\s+MODEL\s+TRIGGER/);

    const shown = await mlops(env, 'runs', 'show', 'monitoring-xgboost/manual');
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`Run monitoring-xgboost/manual: ${run.result.outcome}`));
    assert.match(shown.stdout, /capture file\(s\) read/);
    const lifecycle = await mlops(env, 'runs', 'show', 'lifecycle/xgboost', '--json');
    assert.equal(lifecycle.code, 0, lifecycle.stderr);
    assert.equal((JSON.parse(lifecycle.stdout) as { state: { family: string } }).state.family, 'xgboost');
    const scoring = all.runs.find((r) => r.pipeline === 'scoring')!;
    const scoringShown = await mlops(env, 'runs', 'show', scoring.workflowId);
    assert.equal(scoringShown.code, 0, scoringShown.stderr);
    assert.match(scoringShown.stdout, /xgboost version 1\n\s+output: s3:\/\/mlops\//);
  });

  it('when the user makes a mistake, then the CLI answers with a one-line message and exit code 2, without a stack trace', async () => {
    const env = stacks[1]!.env;
    const missing = await mlops(env, 'train', '--data', '/nonexistent/cars.csv');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--data: \/nonexistent\/cars\.csv is not a file/);
    assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');
    const badConfig = path.join(stacks[1]!.home, 'bad.json');
    await fs.writeFile(badConfig, JSON.stringify({ models: { xgboost: { instanceCount: 0 } }, surprise: 1 }));
    const bad = await mlops(env, 'train', '--config', badConfig);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.json: .*models\.xgboost\.instanceCount/);
    const badEnv = await mlops({ ...env, MLOPS_PORT_BASE: 'abc' }, 'stack', 'status');
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.stderr, /MLOPS_PORT_BASE/);
    const unknownRun = await mlops(env, 'runs', 'show', 'training/nope');
    assert.equal(unknownRun.code, 2);
    assert.match(unknownRun.stderr, /no run with workflow id 'training\/nope'/);
    const dotDot = await mlops(env, 'data', 'put', badConfig, 's3://mlops/training/../bad.json');
    assert.equal(dotDot.code, 2, dotDot.stderr);
    assert.match(dotDot.stderr, /^mlops: s3:\/\/mlops\/training\/\.\.\/bad\.json: the key has a '\.' or '\.\.' segment\n$/);
    const unknownOption = await mlops(env, 'runs', 'list', '--pipeline', 'deploy');
    assert.equal(unknownOption.code, 2, unknownOption.stderr);
  });

  // Every command's help is checked in process (test/unit/client/cli/help.test.ts); here the real
  // binary, at each depth, prints it and exits 0.
  it('when --help is asked of a command at any depth, then the mlops binary prints usage and exits 0', async () => {
    const cases = [[], ['stack', 'up'], ['schedule', 'create', 'monitoring'], ['models', 'policy'], ['predict']];
    const results = await Promise.all(cases.map((args) => mlops({}, ...args, '--help')));
    results.forEach((result, i) => {
      assert.equal(result.code, 0, `mlops ${cases[i]!.join(' ')} --help`);
      assert.match(result.stdout, /Usage: mlops/);
    });
  });

  it('when a stack goes down, then every service reports stopped and its data stays', async () => {
    const env = stacks[0]!.env;
    const down = await mlops(env, 'stack', 'down');
    assert.equal(down.code, 0, down.stderr);
    const status = JSON.parse((await mlops(env, 'stack', 'status', '--json')).stdout) as StatusJson;
    assert.ok(status.services.every((s) => s.state === 'stopped' && s.pid === null));
    await fs.access(path.join(stacks[0]!.home, 'temporal', 'temporal.db'));
    const models = JSON.parse((await mlops(env, 'models', 'list', '--json')).stdout) as { models: unknown[] };
    assert.equal(models.models.length, 2, 'the registry survives the stack');
  });

  it('when the webhook is down, then `data put` still writes the object, says that no run was started, and exits 3', async () => {
    const env = stacks[0]!.env;
    const file = path.join(stacks[0]!.home, 'later.csv');
    await fs.writeFile(file, 'a,b\n1,2\n');

    const result = await mlops(env, 'data', 'put', file, 's3://mlops/training/later.csv');

    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /s3:\/\/mlops\/training\/later\.csv is written, but the webhook at http:\/\/127\.0\.0\.1:\d+\/hooks\/minio is not reachable, so no run was started/);
    assert.equal(await fs.readFile(path.join(stacks[0]!.home, 'objects', 'mlops', 'training', 'later.csv'), 'utf8'), 'a,b\n1,2\n');
  });
});
