import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createBackend } from '../../activities/backends';
import type { Backend } from '../../activities/backends/types';
import { readChampion } from '../../activities/registry/champion-store';
import { ErrorType } from '../../common/errors';
import type { Config } from '../../common/config/schema';
import { waitForTrainingReport, type TrainingRunReport } from '../../client/training/report';
import { startRollback } from '../../services/rollback';
import { startTraining } from '../../services/training/start-training';
import { createLocalEnv } from '../helpers/temporal-env';
import { runWorkers, type RunningWorkers } from '../helpers/workers';
import { DATASET, tempDir, testConfig } from '../helpers/integration';

/**
 * The scenario of issue 14 on a real dev server with real jobs (xgboost only, no endpoints, to
 * keep it short): a weak first champion; a file whose label is constant is refused at step 1 and
 * registers nothing; a model that is better on the same rows replaces the champion; a slightly
 * worse one on the same rows is rejected naming both RMSEs; a rollback makes the first version
 * champion again, naming who and why.
 */
describe('governance (integration: dev server, local backend, real jobs)', function () {
  this.timeout(240_000);
  let env: TestWorkflowEnvironment;
  let home: string;
  let config: Config;
  let backend: Backend;
  let workers: RunningWorkers | undefined;

  before(async () => {
    env = await createLocalEnv();
    home = await tempDir('governance');
    config = testConfig({ home });
    backend = createBackend(config);
    workers = await runWorkers(env, config, backend, { lifecycle: true });
  });

  after(async () => {
    await workers?.stop();
    await env?.teardown();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  /** A run of xgboost alone with these hyperparameters over the defaults, without endpoints. */
  async function train(name: string, hyperparameters: Record<string, string | number>, data = DATASET): Promise<TrainingRunReport> {
    const configFile = path.join(home, `${name}.json`);
    await fs.writeFile(configFile, JSON.stringify({ models: { 'linear-learner': { enabled: false }, xgboost: { hyperparameters } }, deployment: { enabled: false } }));
    const started = await startTraining(env.client, backend, config, { data, configFile, newRun: true, runName: name, trigger: 'test' });
    return waitForTrainingReport(started.handle, (runId) => runId);
  }

  it('when a constant label, a better and a slightly worse model and a rollback follow a weak champion, then only the better model becomes champion and the rollback restores the first', async () => {
    const weak = await train('weak', { num_round: 25, max_depth: 2 });
    assert.equal(weak.models[0]?.decision.outcome, 'accepted', JSON.stringify(weak.models[0]?.decision));
    assert.match(weak.models[0]!.decision.reason, /no champion yet/);

    // A data drop with the same price in every row never trains, never registers.
    const text = await fs.readFile(DATASET, 'utf8');
    const constant = path.join(home, 'constant-price.csv');
    await fs.writeFile(constant, text.trim().split('\n').map((line, i) => (i === 0 ? line : line.replace(/^([^,]*),[^,]*,/, '$1,20000,'))).join('\n') + '\n');
    const refused = await train('constant', {}, constant);
    assert.equal(refused.status, 'failed');
    assert.equal(refused.error?.type, ErrorType.DatasetSchemaInvalid);
    assert.match(refused.error!.message, /constant-price\.csv: column 'Price': the label is 20000(\.0)? in all \d+ rows.*\(rule: label varies\)/);
    assert.equal((await backend.registry.listVersions('xgboost')).length, 1, 'no version registered for the refused file');

    const better = await train('better', {});
    const b = better.models[0]!;
    assert.equal(b.decision.outcome, 'accepted', JSON.stringify(b.decision));
    assert.match(b.decision.reason, /better than the champion: on the same \d+ validation rows, RMSE [\d.]+ vs [\d.]+ of the champion \(version 1\)/);
    const comparison = b.governance!.comparison!;
    assert.ok(comparison.challenger.validation.rmse < comparison.champion.validation.rmse);
    assert.equal(comparison.rows.validation, comparison.rows.validation, 'both models on the same rows');
    assert.ok(comparison.champion.test && comparison.challenger.test, 'both models scored on the test rows too');
    assert.equal((await readChampion(backend.parameters, 'xgboost'))?.modelVersion, b.version);

    const worse = await train('slightly-worse', { num_round: 80 });
    const w = worse.models[0]!;
    assert.equal(w.decision.outcome, 'rejected', `${JSON.stringify(w.decision)} ${JSON.stringify(b.decision)}`);
    assert.match(w.decision.reason, new RegExp(`not better than the champion: on the same \\d+ validation rows, RMSE [\\d.]+ vs [\\d.]+ of the champion \\(version ${b.version}\\)`));
    const gap = w.governance!.comparison!.challenger.validation.rmse / w.governance!.comparison!.champion.validation.rmse - 1;
    assert.ok(gap > 0 && gap < 0.1, `slightly worse on the same rows: ${(gap * 100).toFixed(1)} %`);
    assert.equal((await readChampion(backend.parameters, 'xgboost'))?.modelVersion, b.version, 'the sound champion stays');
    const recorded = await backend.registry.getVersion('xgboost', w.version!);
    assert.equal(recorded?.status, 'Rejected');
    assert.equal(recorded?.governance?.comparison?.championVersion, b.version);

    const rollback = await startRollback(env.client, backend, config, { family: 'xgboost', toVersion: 1, by: 'nora', reason: 'the new model misprices convertibles' });
    const rolled = await rollback.handle.result();
    assert.deepEqual([rolled.target.version, rolled.current?.version], [1, b.version]);
    assert.equal((await readChampion(backend.parameters, 'xgboost'))?.modelVersion, 1);
    const replaced = await backend.registry.getVersion('xgboost', b.version!);
    assert.equal(replaced?.status, 'Rejected');
    assert.match(replaced!.decision!.reason, /rolled back by nora to version 1: the new model misprices convertibles/);
    assert.equal(replaced?.previousDecisions?.[0]?.outcome, 'accepted', 'the earlier decision is kept');
    const notes = await backend.notifier.recent(20);
    assert.ok(notes.some((n) => n.kind === 'model.rolled-back' && /version 1 is the champion again/.test(n.subject)));
  });
});
