import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { createLocalBackend } from '../../../activities/backends/local';
import type { Backend } from '../../../activities/backends/types';
import { parseConfig, REPO_ROOT } from '../../../common/config/parse';
import type { TrainingInput } from '../../../common/types/training';
import { PROJECT } from '../../../common/search-attributes';
import { parseProjectFile } from '../../../services/projects/project-file';
import { projectTrainingConfig } from '../../../services/projects/training-config';
import { ConfigFileError, readTrainingConfigFile } from '../../../services/training/config-file';
import { startTraining } from '../../../services/training/start-training';
import { startTrainingForEvent } from '../../../client/webhook/start-run';
import { UsageError } from '../../../services/usage-error';
import { fakeClient } from '../../helpers/fake-temporal-client';
import { createTempDir, removeTempDir } from '../../helpers/temp-dir';

const PENGUINS_DIR = path.join(REPO_ROOT, 'projects', 'penguins');
const PENGUINS_CSV = path.join(PENGUINS_DIR, 'data', 'penguins.csv');
const queues = { orchestration: 'mlops-orchestration', compute: 'mlops-compute' };

type Doc = Record<string, unknown> & { deployment: Record<string, unknown>; algorithms: Record<string, unknown>[] };

/** The penguins project file as an object, to change one section of it. */
async function penguins(): Promise<Doc> {
  return parseYaml(await fs.readFile(path.join(PENGUINS_DIR, 'project.yaml'), 'utf8')) as Doc;
}

/** The message parseProjectFile refuses a document with (it must refuse it). */
function refusal(doc: unknown, file = 'projects/penguins/project.yaml'): string {
  try {
    parseProjectFile(stringify(doc), file);
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('the project file was accepted');
}

describe('services/projects: the deployment section', () => {
  describe('the schema', () => {
    it('when a project sets a canary policy with only its type, then the policy takes the same defaults as a run configuration, and its alarms and autoscaling are read', async () => {
      const doc = await penguins();
      doc.deployment = { ...doc.deployment, policy: { type: 'canary' }, alarms: { maxErrorRate: 0.02 }, autoscaling: { minInstances: 1, maxInstances: 3, targetInvocationsPerInstancePerMinute: 600 } };

      const project = parseProjectFile(stringify(doc), 'penguins.yaml');

      assert.deepEqual(project.deployment?.policy, { type: 'canary', canaryShare: 0.1, canaryBake: '5 minutes', finalBake: '5 minutes' });
      assert.equal(project.deployment?.alarms?.maxErrorRate, 0.02);
      assert.equal(project.deployment?.alarms?.maxP99LatencyMs, 1000, 'a field left out keeps its default');
      assert.deepEqual(project.deployment?.autoscaling, { minInstances: 1, maxInstances: 3, targetInvocationsPerInstancePerMinute: 600, scaleOutCooldown: '1 minute', scaleInCooldown: '5 minutes' });
    });

    it('when a policy is unknown or a share is out of range, then one message names the file, the field and the rule', async () => {
      const doc = await penguins();

      const unknown = refusal({ ...doc, deployment: { ...doc.deployment, policy: { type: 'blue-green' } } });
      assert.match(unknown, /^projects\/penguins\/project\.yaml: deployment\.policy\.type: /);
      assert.match(unknown, /'all-at-once' \| 'canary' \| 'linear' \| 'shadow'|all-at-once.*canary.*linear.*shadow/);

      const share = refusal({ ...doc, deployment: { ...doc.deployment, policy: { type: 'canary', canaryShare: 1.5 } } });
      assert.match(share, /^projects\/penguins\/project\.yaml: deployment\.policy\.canaryShare: .*<1/);

      const bounds = refusal({ ...doc, deployment: { ...doc.deployment, autoscaling: { minInstances: 4, maxInstances: 2, targetInvocationsPerInstancePerMinute: 100 } } });
      assert.match(bounds, /deployment\.autoscaling\.maxInstances: minInstances must not exceed maxInstances/);
    });

    it("when an algorithm's own policy is bad, or bakes longer than its alarm readings allow with the project's alarms, then the message names that algorithm's field", async () => {
      const doc = await penguins();
      const hgb = doc.algorithms.findIndex((a) => a.name === 'hgb');

      const bad = refusal({ ...doc, algorithms: doc.algorithms.map((a, i) => (i === hgb ? { ...a, deployment: { policy: { type: 'linear', stepShare: 0 } } } : a)) });
      assert.match(bad, new RegExp(`: algorithms\\[${hgb}\\]\\.deployment\\.policy\\.stepShare: .*>0$`));

      const long = refusal({
        ...doc,
        deployment: { ...doc.deployment, alarms: { evaluationInterval: '1 second' } },
        algorithms: doc.algorithms.map((a, i) => (i === hgb ? { ...a, deployment: { policy: { type: 'canary', canaryBake: '3 days' } } } : a)),
      });
      assert.match(long, new RegExp(`: algorithms\\[${hgb}\\]\\.deployment\\.alarms\\.evaluationInterval: the policy bakes for`));
    });

    it('when the same bad policy is in a run configuration and in a project file, then both refuse it with the same words (one schema)', async () => {
      const tmp = await createTempDir('mlops-project-deploy-');
      try {
        const policy = { type: 'canary', canaryShare: 2, canaryBake: 'soon' };
        const file = path.join(tmp, 'run.json');
        await fs.writeFile(file, JSON.stringify({ deployment: { policy } }));
        const fromConfig = await readTrainingConfigFile(file).then(
          () => assert.fail('the run configuration was accepted'),
          (err: unknown) => (err instanceof ConfigFileError ? err.message : assert.fail(String(err))),
        );
        const doc = await penguins();
        const fromProject = refusal({ ...doc, deployment: { ...doc.deployment, policy } });
        const rules = (message: string) => message.replace(/^[^:]+: /, '').split('; ').sort();
        assert.deepEqual(
          rules(fromProject).map((r) => r.replace(/^deployment\.policy\./, '')),
          rules(fromConfig).map((r) => r.replace(/^deployment\.policy\./, '')),
        );
        assert.equal(rules(fromProject).length, 2);
      } finally {
        await removeTempDir(tmp);
      }
    });
  });

  describe('projectTrainingConfig', () => {
    it("when a project sets a policy and an algorithm its own, then the run's deployment has the project's and that model the algorithm's", async () => {
      const doc = await penguins();
      doc.deployment = { ...doc.deployment, policy: { type: 'canary', canaryShare: 0.2 } };
      doc.algorithms = doc.algorithms.map((a) => (a.name === 'hgb' ? { ...a, deployment: { policy: { type: 'linear' }, autoscaling: null } } : a));

      const config = projectTrainingConfig(parseProjectFile(stringify(doc), 'penguins.yaml'), { bucket: 'mlops', taskQueues: queues });

      assert.deepEqual(config.deployment?.policy, { type: 'canary', canaryShare: 0.2, canaryBake: '5 minutes', finalBake: '5 minutes' });
      const hgb = config.models.find((m) => m.family === 'hgb');
      assert.deepEqual(hgb?.deployment, { policy: { type: 'linear', stepShare: 0.2, stepInterval: '2 minutes', finalBake: '5 minutes' }, autoscaling: null });
      assert.equal(config.models.find((m) => m.family === 'xgboost')?.deployment, undefined);
    });
  });

  describe('startTraining --project', () => {
    let tmp: string;
    let backend: Backend;
    let projectsDir: string;

    beforeEach(async () => {
      tmp = await createTempDir('mlops-project-train-');
      projectsDir = path.join(tmp, 'projects');
      backend = createLocalBackend({ home: path.join(tmp, 'home'), python: 'python3', algorithmsDir: path.join(tmp, 'none') });
    });

    afterEach(async () => {
      await removeTempDir(tmp);
    });

    async function writeProject(doc: Doc): Promise<void> {
      await fs.mkdir(path.join(projectsDir, 'penguins'), { recursive: true });
      await fs.writeFile(path.join(projectsDir, 'penguins', 'project.yaml'), stringify(doc));
    }

    function recordingClient() {
      return fakeClient([], (workflowId) => ({ type: 'trainingPipeline', workflowId, status: 'RUNNING' }));
    }

    it('when the project sets a canary policy, then the run it starts deploys by canary and carries MlopsProject=penguins', async () => {
      const doc = await penguins();
      doc.deployment = { ...doc.deployment, policy: { type: 'canary', canaryShare: 0.1, canaryBake: '30 seconds', finalBake: '30 seconds' } };
      await writeProject(doc);
      const config = parseConfig({ MLOPS_HOME: path.join(tmp, 'home'), MLOPS_PROJECTS_DIR: projectsDir }, tmp);
      const client = recordingClient();

      await startTraining(client, backend, config, { project: 'penguins', data: PENGUINS_CSV, trigger: 'test' });

      assert.equal(client.started.length, 1);
      const options = client.started[0]!.options as { args: TrainingInput[]; typedSearchAttributes: { key: { name: string }; value: unknown }[] };
      assert.deepEqual(options.args[0]!.config.deployment?.policy, { type: 'canary', canaryShare: 0.1, canaryBake: '30 seconds', finalBake: '30 seconds' });
      assert.deepEqual(
        options.typedSearchAttributes.filter((a) => a.key.name === PROJECT.name).map((a) => a.value),
        ['penguins'],
      );
    });

    it("when a run's --config file sets a policy run-wide, then it replaces the project's for every model (the algorithm's own too), and a model the file names keeps the file's", async () => {
      const doc = await penguins();
      doc.deployment = { ...doc.deployment, policy: { type: 'canary' } };
      doc.algorithms = doc.algorithms.map((a) => (a.name === 'hgb' ? { ...a, deployment: { policy: { type: 'shadow' }, alarms: { maxErrorRate: 0.01 } } } : a));
      await writeProject(doc);
      const runFile = path.join(tmp, 'run.json');
      await fs.writeFile(runFile, JSON.stringify({ deployment: { policy: { type: 'linear' } }, models: { xgboost: { deployment: { policy: { type: 'all-at-once' } } } } }));
      const config = parseConfig({ MLOPS_HOME: path.join(tmp, 'home'), MLOPS_PROJECTS_DIR: projectsDir }, tmp);
      const client = recordingClient();

      await startTraining(client, backend, config, { project: 'penguins', data: PENGUINS_CSV, configFile: runFile, trigger: 'test' });

      const run = (client.started[0]!.options as { args: TrainingInput[] }).args[0]!.config;
      assert.equal(run.deployment?.policy?.type, 'linear');
      const byFamily = new Map(run.models.map((m) => [m.family, m.deployment]));
      assert.equal(byFamily.get('hgb')?.policy, undefined, "the run's policy replaces the algorithm's");
      assert.equal(byFamily.get('hgb')?.alarms?.maxErrorRate, 0.01, 'what the run file does not set stays');
      assert.equal(byFamily.get('xgboost')?.policy?.type, 'all-at-once');
      assert.equal(byFamily.get('linear-learner'), undefined);
    });

    it("when a file dropped for the project starts its run through the webhook, then that run deploys by the project's policy and carries its MlopsProject", async () => {
      const doc = await penguins();
      doc.deployment = { ...doc.deployment, policy: { type: 'canary', canaryShare: 0.25 } };
      await writeProject(doc);
      const config = parseConfig({ MLOPS_HOME: path.join(tmp, 'home'), MLOPS_PROJECTS_DIR: projectsDir }, tmp);
      await backend.objectStore.put('s3://mlops/training/penguins/new.csv', await fs.readFile(PENGUINS_CSV, 'utf8'));
      const client = recordingClient();

      await startTrainingForEvent(
        { client, backend, config },
        { name: 'penguins-training', bucket: 'mlops', prefix: 'training/penguins/', pipeline: 'training', parameters: { project: 'penguins' } },
        { source: 's3', bucket: 'mlops', key: 'training/penguins/new.csv', eventName: 'ObjectCreated:Put', etag: 'e1', sequencer: '00AB' },
      );

      const options = client.started[0]!.options as { args: TrainingInput[]; typedSearchAttributes: { key: { name: string }; value: unknown }[] };
      assert.deepEqual(options.args[0]!.config.deployment?.policy, { type: 'canary', canaryShare: 0.25, canaryBake: '5 minutes', finalBake: '5 minutes' });
      assert.deepEqual(options.typedSearchAttributes.filter((a) => a.key.name === PROJECT.name).map((a) => a.value), ['penguins']);
    });

    it('when the demo project is trained without --project, then its run carries MlopsProject=used-cars', async () => {
      const config = parseConfig({ MLOPS_HOME: path.join(tmp, 'home'), MLOPS_PROJECTS_DIR: projectsDir }, tmp);
      const client = recordingClient();

      await startTraining(client, backend, config, { trigger: 'test' });

      const options = client.started[0]!.options as { typedSearchAttributes: { key: { name: string }; value: unknown }[] };
      assert.deepEqual(options.typedSearchAttributes.filter((a) => a.key.name === PROJECT.name).map((a) => a.value), ['used-cars']);
    });
  });
});
