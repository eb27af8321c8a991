import assert from 'node:assert/strict';
import path from 'node:path';
import { parseConfig, REPO_ROOT } from '../../../../common/config/parse';
import type { LifecycleState } from '../../../../common/types/lifecycle';
import { lifecycleStateQuery } from '../../../../workflows/lifecycle/lifecycle.messages';
import { runInProcess, TestCliContext } from '../../../helpers/cli-in-process';
import { fakeClient } from '../../../helpers/fake-temporal-client';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

const registration = (family: string, job: string, project?: string) => ({
  family,
  ...(project ? { project } : {}),
  modelName: `model-${job}`,
  artifactUri: `s3://mlops/m/${job}/model.tar.gz`,
  trainingJobName: job,
  workflowId: `training/${job}`,
  runId: 'run-1',
  featureSchemaUri: 's3://mlops/f.json',
  hyperparameters: {},
});

function lifecycle(family: string, project?: string): LifecycleState {
  return {
    family,
    ...(project ? { project } : {}),
    policy: 'approve-then-retrain',
    recentAlerts: [],
    counts: { alerts: 1, championChanges: 0, retrainingsStarted: 0, retrainingFailures: 0, notifiedOnly: 0, suppressedByCoolDown: 0, approvalsRequested: 1, approved: 0, rejected: 0, approvalTimeouts: 0 },
  };
}

/**
 * Issue 15, "every command takes --project": a project's family (penguins' xgboost, or its own
 * hgb) is shown, configured and its retraining decided on its own lifecycle
 * (`lifecycle/penguins/<family>`), never the demo's family of the same name.
 */
describe('client/cli/commands/models and retraining with --project', () => {
  let tmp: string;

  beforeEach(async () => {
    tmp = await createTempDir('mlops-models-project-');
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  function context() {
    const client = fakeClient([
      { type: 'modelLifecycle', workflowId: 'lifecycle/xgboost', status: 'RUNNING', queries: { [lifecycleStateQuery.name]: lifecycle('xgboost') }, updates: { decideRetraining: { outcome: 'approved', by: 'demo' } } },
      { type: 'modelLifecycle', workflowId: 'lifecycle/penguins/xgboost', status: 'RUNNING', queries: { [lifecycleStateQuery.name]: lifecycle('xgboost', 'penguins') }, updates: { decideRetraining: { outcome: 'approved', by: 'ana' } } },
    ]);
    // The repository's projects (the demo and penguins); a data dir of the test's own.
    const ctx = new TestCliContext(parseConfig({ MLOPS_HOME: path.join(tmp, 'home'), MLOPS_PROJECTS_DIR: path.join(REPO_ROOT, 'projects') }, tmp), client);
    return { ctx, client };
  }

  it("when models show names a project, then it shows that project's versions and lifecycle only; a family of the project that the demo lacks is known", async () => {
    const { ctx } = context();
    await ctx.backend.registry.registerVersion(registration('xgboost', 'demo-xgb'));
    await ctx.backend.registry.registerVersion(registration('xgboost', 'penguins-xgb-1', 'penguins'));
    await ctx.backend.registry.registerVersion(registration('xgboost', 'penguins-xgb-2', 'penguins'));

    const shown = await runInProcess(ctx, 'models', 'show', 'xgboost', '--project', 'penguins', '--json');
    assert.equal(shown.code, 0, shown.stderr);
    const body = JSON.parse(shown.stdout) as { project: string; versions: { trainingJobName: string; project?: string }[]; lifecycle: LifecycleState | null };
    assert.equal(body.project, 'penguins');
    assert.deepEqual(body.versions.map((v) => [v.trainingJobName, v.project]), [['penguins-xgb-1', 'penguins'], ['penguins-xgb-2', 'penguins']]);
    assert.equal(body.lifecycle?.project, 'penguins');

    const demo = JSON.parse((await runInProcess(ctx, 'models', 'show', 'xgboost', '--json')).stdout) as { versions: { trainingJobName: string }[]; lifecycle: LifecycleState | null };
    assert.deepEqual(demo.versions.map((v) => v.trainingJobName), ['demo-xgb']);
    assert.equal(demo.lifecycle?.project, undefined);

    const hgb = await runInProcess(ctx, 'models', 'show', 'hgb', '--project', 'penguins');
    assert.equal(hgb.code, 0, hgb.stderr);
    assert.match(hgb.stdout, /lifecycle: not running \(workflow lifecycle\/penguins\/hgb\)/);
    const unknown = await runInProcess(ctx, 'models', 'show', 'hgb');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown model family 'hgb' \(known: xgboost, linear-learner\)/);
    const notThere = await runInProcess(ctx, 'models', 'show', 'catboost', '--project', 'penguins');
    assert.equal(notThere.code, 2);
    assert.match(notThere.stderr, /unknown model family 'catboost' of project penguins \(known: xgboost, linear-learner, hgb\)/);
  });

  it("when a retraining is approved with --project, then the decision goes to the project's lifecycle, not the demo's", async () => {
    const { ctx, client } = context();
    const approved = await runInProcess(ctx, 'retraining', 'approve', 'xgboost', '--project', 'penguins', '--by', 'ana', '--reason', 'bills grew', '--json');
    assert.equal(approved.code, 0, approved.stderr);
    assert.deepEqual(client.updates.map((u) => [u.workflowId, u.name]), [['lifecycle/penguins/xgboost', 'decideRetraining']]);
    assert.deepEqual(client.updates[0]!.args, [{ approve: true, by: 'ana', reason: 'bills grew' }]);
  });
});
