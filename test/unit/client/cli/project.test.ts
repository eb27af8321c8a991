import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseConfig, REPO_ROOT } from '../../../../common/config/parse';
import { runInProcess, TestCliContext } from '../../../helpers/cli-in-process';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

const PENGUINS_CSV = path.join(REPO_ROOT, 'projects', 'penguins', 'data', 'penguins.csv');

describe('client/cli/commands/project', () => {
  let tmp: string;
  let projectsDir: string;
  let ctx: TestCliContext;

  beforeEach(async () => {
    tmp = await createTempDir('mlops-project-cli-');
    projectsDir = path.join(tmp, 'projects');
    await fs.mkdir(projectsDir);
    ctx = new TestCliContext(parseConfig({ MLOPS_HOME: path.join(tmp, 'home'), MLOPS_PROJECTS_DIR: projectsDir }, tmp));
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  async function writeCsv(name: string, text: string): Promise<string> {
    const file = path.join(tmp, name);
    await fs.writeFile(file, text);
    return file;
  }

  describe('init', () => {
    it('when given the penguins file and its label, then it writes a project file that validate, list and show accept, with the inferred spec', async () => {
      const init = await runInProcess(ctx, 'project', 'init', '--data', PENGUINS_CSV, '--label', 'body_mass_g', '--name', 'birds');
      assert.equal(init.code, 0, init.stderr);
      const file = path.join(projectsDir, 'birds', 'project.yaml');
      const written = parseYaml(await fs.readFile(file, 'utf8')) as {
        dataset: { label: { name: string; missing?: string }; missingValues: string[]; features: { name: string; type: string; levels?: string[]; allowed?: number[]; missing?: string; impute?: string; profile?: { missingShare?: number } }[] };
        algorithms: { kind: string }[];
        retraining: { policy: string };
        monitoring: { every: string };
        deployment: { enabled: boolean; policy?: unknown };
      };
      const byName = new Map(written.dataset.features.map((f) => [f.name, f]));
      assert.deepEqual(written.dataset.label, { name: 'body_mass_g', type: 'integer', min: 0, missing: 'drop' });
      assert.deepEqual(written.dataset.missingValues, ['', 'NA']);
      assert.deepEqual(byName.get('species')?.levels, ['Adelie', 'Chinstrap', 'Gentoo']);
      assert.equal(byName.get('sex')?.type, 'categorical');
      assert.equal(byName.get('sex')?.impute, 'mode');
      assert.equal(byName.get('bill_length_mm')?.type, 'float');
      assert.equal(byName.get('bill_length_mm')?.missing, 'impute');
      assert.equal(byName.get('flipper_length_mm')?.type, 'integer');
      assert.deepEqual(byName.get('year')?.allowed, [2007, 2008, 2009]);
      assert.ok((byName.get('sex')?.profile?.missingShare ?? 0) > 0.03);
      assert.deepEqual(written.algorithms.map((a) => a.kind), ['xgboost', 'linear-learner']);
      assert.equal(written.retraining.policy, 'notify');
      assert.equal(written.monitoring.every, '1 hour');
      assert.deepEqual(written.deployment.policy, { type: 'all-at-once', finalBake: '0 seconds' }, 'the default policy is written where a canary would go');

      const validate = await runInProcess(ctx, 'project', 'validate', 'birds', '--json');
      assert.equal(validate.code, 0, validate.stderr);
      assert.deepEqual(JSON.parse(validate.stdout), { valid: true, projects: [{ name: 'birds', file }] });
      const list = await runInProcess(ctx, 'project', 'list', '--json');
      assert.deepEqual(JSON.parse(list.stdout), [{ name: 'birds', label: 'body_mass_g', features: 7, algorithms: ['xgboost', 'linear-learner'], file }]);
      const show = await runInProcess(ctx, 'project', 'show', 'birds');
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /species: categorical, 3 levels, unseen: reject/);
      assert.match(show.stdout, /deployment policy: all-at-once, final bake 0 seconds/);
    });

    it("when a project sets a canary policy, alarms and an algorithm's own policy, then show prints each of them", async () => {
      assert.equal((await runInProcess(ctx, 'project', 'init', '--data', PENGUINS_CSV, '--label', 'body_mass_g', '--name', 'birds')).code, 0);
      const file = path.join(projectsDir, 'birds', 'project.yaml');
      const doc = parseYaml(await fs.readFile(file, 'utf8')) as { deployment: Record<string, unknown>; algorithms: Record<string, unknown>[] };
      doc.deployment = { ...doc.deployment, policy: { type: 'canary', canaryShare: 0.1, canaryBake: '10 minutes' }, alarms: { maxErrorRate: 0.02, maxP99LatencyMs: 300 } };
      doc.algorithms[1] = { ...doc.algorithms[1], deployment: { policy: { type: 'linear', stepShare: 0.25 }, autoscaling: null } };
      await fs.writeFile(file, stringifyYaml(doc));

      const show = await runInProcess(ctx, 'project', 'show', 'birds');

      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /deployment policy: canary: 10% for 10 minutes, then all, final bake 5 minutes/);
      assert.match(show.stdout, /rollback alarms: error rate > 2%, p99 > 300 ms/);
      assert.match(show.stdout, /linear-learner: linear: 25% more every 2 minutes, final bake 5 minutes; no autoscaling/);
      const json = JSON.parse((await runInProcess(ctx, 'project', 'show', 'birds', '--json')).stdout) as { project: { deployment: { policy: { type: string } } } };
      assert.equal(json.project.deployment.policy.type, 'canary');
    });

    it('when an id column and a wide text column are in the file, then the unique one becomes an id column and --max-levels decides the other', async () => {
      const rows = Array.from({ length: 60 }, (_, i) => `r${i},${i % 7 === 0 ? '' : String(10 + i)},c${i % 55},${1000 + i * 3}`);
      const file = await writeCsv('wide.csv', `record_id,size,colour,price\n${rows.join('\n')}\n`);

      const refused = await runInProcess(ctx, 'project', 'init', '--data', file, '--label', 'price');
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /categorical column 'colour' has 55 distinct values, more than maxLevels 50/);
      assert.equal(refused.stderr.trim().split('\n').length, 1);

      const accepted = await runInProcess(ctx, 'project', 'init', '--data', file, '--label', 'price', '--max-levels', '60', '--json');
      assert.equal(accepted.code, 0, accepted.stderr);
      const { project } = JSON.parse(accepted.stdout) as { project: { name: string; dataset: { idColumns: string[]; features: { name: string; missing?: string }[] } } };
      assert.equal(project.name, 'wide');
      assert.deepEqual(project.dataset.idColumns, ['record_id']);
      assert.deepEqual(project.dataset.features.map((f) => f.name), ['size', 'colour']);
      assert.equal(project.dataset.features[0]!.missing, 'impute');
    });

    for (const [situation, csv, label, expected] of [
      ['the label is not a column of the file', 'a,b\n1,2\n3,4\n', 'price', /--label: 'price' is not a column of the file \(columns: a, b\)/],
      ['a feature is entirely empty', 'a,b,price\n1,,2\n3,NA,4\n', 'price', /feature 'b' is entirely empty/],
      ['the label is text', 'a,price\n1,cheap\n3,dear\n', 'price', /--label: column 'price' is not numeric/],
    ] as const) {
      it(`when ${situation}, then one message names the file and the column, exit 2, and no project file is written`, async () => {
        const file = await writeCsv('bad.csv', csv);
        const result = await runInProcess(ctx, 'project', 'init', '--data', file, '--label', label);
        assert.equal(result.code, 2);
        assert.match(result.stderr, expected);
        assert.match(result.stderr, /bad\.csv/);
        assert.equal(result.stderr.trim().split('\n').length, 1);
        assert.deepEqual(await fs.readdir(projectsDir), []);
      });
    }

    it('when the project already exists, then init refuses to overwrite it (exit 2)', async () => {
      assert.equal((await runInProcess(ctx, 'project', 'init', '--data', PENGUINS_CSV, '--label', 'body_mass_g', '--name', 'birds')).code, 0);
      const again = await runInProcess(ctx, 'project', 'init', '--data', PENGUINS_CSV, '--label', 'body_mass_g', '--name', 'birds');
      assert.equal(again.code, 2);
      assert.match(again.stderr, /project 'birds' already exists/);
    });
  });

  describe('validate', () => {
    async function writeProject(dir: string, text: string): Promise<string> {
      const file = path.join(projectsDir, dir, 'project.yaml');
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, text);
      return file;
    }

    const minimal = (name: string, algorithm = 'xgboost', extra = '') =>
      `schemaVersion: 1\nname: ${name}\ndataset:\n  label: {name: y, type: float}\n  features:\n    - {name: x, type: float}\n${extra}algorithms:\n  - {kind: ${algorithm}, name: m1}\n`;

    it('when an algorithm kind is unknown, then the message names the file, the field and the known kinds (exit 2)', async () => {
      const file = await writeProject('p1', minimal('p1', 'random-forest'));
      const result = await runInProcess(ctx, 'project', 'validate', 'p1');
      assert.equal(result.code, 2);
      assert.equal(result.stderr.trim(), `mlops: ${file}: algorithms[0].kind: unknown algorithm 'random-forest' (known: xgboost, linear-learner, byo; 'byo' brings your own container)`);
    });

    it('when a categorical column lists more levels than its maxLevels, then validate names the field and the rule (exit 2)', async () => {
      const file = await writeProject('p2', minimal('p2', 'xgboost').replace('    - {name: x, type: float}\n', '    - {name: x, type: float}\n    - {name: c, type: categorical, maxLevels: 2, levels: [a, b, c]}\n'));
      const result = await runInProcess(ctx, 'project', 'validate', 'p2');
      assert.equal(result.code, 2);
      assert.match(result.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: dataset\\.features\\[1\\]\\.levels: 3 levels, more than its maxLevels 2`));
    });

    it("when a project and algorithm would spell the demo's linear-learner, then every project command refuses it, naming the file, field and both models (exit 2)", async () => {
      const file = await writeProject('linear', minimal('linear').replace('name: m1', 'name: learner'));
      for (const args of [['project', 'list'], ['project', 'validate'], ['project', 'show', 'linear']]) {
        const result = await runInProcess(ctx, ...args);
        assert.equal(result.code, 2, args.join(' '));
        assert.equal(result.stderr.trim(), `mlops: ${file}: algorithms[0].name: project 'linear' algorithm 'learner' would be named 'linear-learner' like project 'used-cars' algorithm 'linear-learner' (endpoints, registry groups and schedules would be shared): rename one`);
      }
    });

    it('when two projects would spell one name (a + b-c, a-b + c), or a project is named like a demo algorithm, then validate refuses (exit 2)', async () => {
      await writeProject('aa', minimal('aa').replace('name: m1', 'name: b-c'));
      const second = await writeProject('aa-b', minimal('aa-b').replace('name: m1', 'name: c'));
      const shared = await runInProcess(ctx, 'project', 'validate');
      assert.equal(shared.code, 2);
      assert.equal(shared.stderr.trim(), `mlops: ${second}: algorithms[0].name: project 'aa-b' algorithm 'c' would be named 'aa-b-c' like project 'aa' algorithm 'b-c' (endpoints, registry groups and schedules would be shared): rename one`);
      await fs.rm(path.dirname(second), { recursive: true });
      const named = await writeProject('xgboost', minimal('xgboost'));
      const family = await runInProcess(ctx, 'project', 'validate');
      assert.equal(family.code, 2);
      assert.match(family.stderr, new RegExp(`${named.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: name: project 'xgboost' is named like an algorithm of project 'used-cars'`));
    });

    it('when two project files declare the same name, then every project command refuses them, naming both files (exit 2)', async () => {
      const first = await writeProject('same', minimal('same'));
      const second = await writeProject('same-too', minimal('same'));
      for (const args of [['project', 'list'], ['project', 'validate'], ['project', 'show', 'same']]) {
        const result = await runInProcess(ctx, ...args);
        assert.equal(result.code, 2, args.join(' '));
        assert.match(result.stderr, new RegExp(`${second.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: name: project 'same' is already declared by ${first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      }
    });

    it('when a file is not valid YAML, then the message names the file and line (exit 2)', async () => {
      const file = await writeProject('p3', 'schemaVersion: 1\nname: [p3\n');
      const result = await runInProcess(ctx, 'project', 'validate', file);
      assert.equal(result.code, 2);
      assert.match(result.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: not valid YAML`));
    });

    it('when a project is unknown, then show names the projects there are (exit 2)', async () => {
      await writeProject('p4', minimal('p4'));
      const result = await runInProcess(ctx, 'project', 'show', 'nope');
      assert.equal(result.code, 2);
      assert.match(result.stderr, /unknown project 'nope' \(projects in .*: p4;/);
    });
  });

  describe('the repository projects', () => {
    it('when validate runs over the repository projects, then the demo and the penguins project are valid', async () => {
      const repoCtx = new TestCliContext(parseConfig({ MLOPS_HOME: path.join(tmp, 'home') }, tmp));
      const result = await runInProcess(repoCtx, 'project', 'validate', '--json');
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(
        (JSON.parse(result.stdout) as { projects: { name: string }[] }).projects.map((p) => p.name),
        ['penguins', 'used-cars'],
      );
    });

    it("when models are listed with --project, then only that project's versions show, and a family of another project is refused", async () => {
      const repoCtx = new TestCliContext(parseConfig({ MLOPS_HOME: path.join(tmp, 'home') }, tmp));
      const common = { artifactUri: 's3://mlops/m/model.tar.gz', workflowId: 'w', runId: 'r', featureSchemaUri: 's3://mlops/f.json', hyperparameters: {} };
      await repoCtx.backend.registry.registerVersion({ family: 'hgb', project: 'penguins', modelName: 'm-hgb', trainingJobName: 't-hgb', ...common });
      await repoCtx.backend.registry.registerVersion({ family: 'xgboost', modelName: 'm-xgb', trainingJobName: 't-xgb', ...common });

      const penguins = await runInProcess(repoCtx, 'models', 'list', '--project', 'penguins', '--json');
      assert.equal(penguins.code, 0, penguins.stderr);
      assert.deepEqual((JSON.parse(penguins.stdout) as { models: { family: string }[] }).models.map((m) => m.family), ['hgb']);
      const demo = await runInProcess(repoCtx, 'models', 'list', '--json');
      assert.deepEqual((JSON.parse(demo.stdout) as { models: { family: string }[] }).models.map((m) => m.family), ['xgboost']);
      const refused = await runInProcess(repoCtx, 'models', 'list', '--family', 'hgb');
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /--family: unknown model family 'hgb' \(known: xgboost, linear-learner\)/);
    });

    it('when --help is asked of each project command, then it exits 0 and names its options', async () => {
      for (const sub of ['init', 'validate', 'list', 'show']) {
        const result = await runInProcess(ctx, 'project', sub, '--help');
        assert.equal(result.code, 0, sub);
        assert.match(result.stdout, /--json/);
      }
    });
  });
});
