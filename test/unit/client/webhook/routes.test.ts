import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { defaultRoutes, loadRoutes, matchRoute, parseRoutes, RoutesError, type RouteRule } from '../../../../client/webhook/routes';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';
import { REPO_ROOT } from '../../../../common/config/parse';
import type { ObjectCreatedEvent } from '../../../../client/webhook/event-schemas';
import { workflowIdForEvent } from '../../../../client/webhook/start-run';

const RULES: RouteRule[] = [
  { name: 'daily-csv', bucket: 'data-lake', prefix: 'daily/', suffix: '.csv', pipeline: 'training', parameters: { threshold: 3000 } },
  { name: 'any-daily', bucket: 'data-lake', prefix: 'daily/', pipeline: 'scoring' },
  { name: 'parquet-anywhere', bucket: 'data-lake', suffix: '.parquet', pipeline: 'scoring' },
  { name: 'other-bucket', bucket: 'mlops', prefix: 'training/', suffix: '.csv', pipeline: 'training' },
];

function routeOf(bucket: string, key: string): string | undefined {
  return matchRoute(RULES, { bucket, key })?.name;
}

describe('client/webhook/routes', () => {
  describe('matchRoute', () => {
    it('when bucket, prefix and suffix all match, then that rule is chosen', () => {
      assert.equal(routeOf('data-lake', 'daily/2026-03-02.csv'), 'daily-csv');
      assert.equal(routeOf('mlops', 'training/cars.csv'), 'other-bucket');
    });

    it('when several rules match, then the first one wins', () => {
      assert.equal(routeOf('data-lake', 'daily/2026-03-02.csv'), 'daily-csv', 'daily-csv and any-daily both match');
      assert.equal(routeOf('data-lake', 'daily/2026-03-02.parquet'), 'any-daily', 'any-daily and parquet-anywhere both match');
    });

    it('when a rule has no prefix or no suffix, then that part matches anything', () => {
      assert.equal(routeOf('data-lake', 'daily/readme.txt'), 'any-daily');
      assert.equal(routeOf('data-lake', 'x/y/z.parquet'), 'parquet-anywhere');
    });

    it('when the bucket, prefix or suffix differs, then nothing matches', () => {
      assert.equal(routeOf('other', 'daily/2026-03-02.csv'), undefined, 'bucket');
      assert.equal(routeOf('mlops', 'scoring/cars.csv'), undefined, 'prefix');
      assert.equal(routeOf('mlops', 'training/cars.csv.gz'), undefined, 'suffix');
      assert.equal(routeOf('data-lake', 'Daily/2026.csv'), undefined, 'case matters');
    });
  });

  describe('defaultRoutes', () => {
    it('when no routes file is configured, then training/*.csv trains and scoring/*.csv scores in the configured bucket', async () => {
      const rules = await loadRoutes({ bucket: 'my-bucket', webhookRoutes: undefined });

      assert.deepEqual(rules, defaultRoutes('my-bucket'));
      assert.equal(matchRoute(rules, { bucket: 'my-bucket', key: 'training/cars.csv' })?.pipeline, 'training');
      assert.equal(matchRoute(rules, { bucket: 'my-bucket', key: 'scoring/batch 1.csv' })?.pipeline, 'scoring');
      assert.equal(matchRoute(rules, { bucket: 'my-bucket', key: 'capture/x.jsonl' }), undefined);
      assert.equal(matchRoute(rules, { bucket: 'mlops', key: 'training/cars.csv' }), undefined);
    });
  });

  describe('project routes', () => {
    it('when the stack has projects, then training/<project>/ and scoring/<project>/ start that project (before the demo rules), with workflow ids naming it; the demo keeps its rules and ids', async () => {
      const rules = await loadRoutes({ bucket: 'mlops', webhookRoutes: undefined, projectsDir: path.join(REPO_ROOT, 'projects') });

      assert.deepEqual(rules.map((r) => r.name), ['training-penguins', 'scoring-penguins', 'training-data', 'scoring-data']);
      const training = matchRoute(rules, { bucket: 'mlops', key: 'training/penguins/2026-03.csv' })!;
      const scoring = matchRoute(rules, { bucket: 'mlops', key: 'scoring/penguins/batch.csv' })!;
      assert.deepEqual([training.name, training.parameters], ['training-penguins', { project: 'penguins' }]);
      assert.deepEqual([scoring.name, scoring.parameters], ['scoring-penguins', { project: 'penguins' }]);
      const event = { source: 'minio', bucket: 'mlops', key: 'training/penguins/2026-03.csv', etag: 'e1', eventName: 'ObjectCreated:Put' } as unknown as ObjectCreatedEvent;
      assert.equal(workflowIdForEvent(training, event), 'training/penguins:mlops/training/penguins/2026-03.csv@e1');
      const demo = matchRoute(rules, { bucket: 'mlops', key: 'training/cars.csv' })!;
      assert.equal(workflowIdForEvent(demo, { ...event, key: 'training/cars.csv' }), 'training/mlops/training/cars.csv@e1');
    });

    it('when a routes file names a project that is no project name, then the rule is refused naming it', () => {
      assert.throws(
        () => parseRoutes([{ name: 'r', bucket: 'mlops', pipeline: 'scoring', parameters: { project: 'Not A Name' } }], 'routes.json', '/tmp'),
        /routes\.json: rule 1 \('r'\): parameters\.project: a project name/,
      );
    });
  });

  describe('parseRoutes', () => {
    it('when the document is an array or {"routes": [...]}, then both give the rules', () => {
      const rule = { name: 'r', bucket: 'mlops', prefix: 'in/', pipeline: 'training' };

      assert.deepEqual(parseRoutes([rule], 'f.json', '/x'), [rule]);
      assert.deepEqual(parseRoutes({ routes: [rule] }, 'f.json', '/x'), [rule]);
    });

    it('when a rule is invalid, then the error names the file, the rule (number and name) and the field', () => {
      const cases: [unknown, RegExp][] = [
        [[{ name: 'ok', bucket: 'mlops', pipeline: 'training' }, { name: 'bad-pipe', bucket: 'mlops', pipeline: 'deploy' }], /^f\.json: rule 2 \('bad-pipe'\): pipeline: /],
        [[{ name: 'bad-bucket', bucket: 'Not_A_Bucket', pipeline: 'training' }], /rule 1 \('bad-bucket'\): bucket: must be a valid bucket name/],
        [[{ bucket: 'mlops', pipeline: 'training' }], /rule 1: name: /],
        [[{ name: 'extra', bucket: 'mlops', pipeline: 'training', prefx: 'typo/' }], /rule 1 \('extra'\): .*prefx/],
        [[{ name: 'params', bucket: 'mlops', pipeline: 'training', parameters: { threshold: -1 } }], /rule 1 \('params'\): parameters\.threshold: /],
        [[{ name: 'params', bucket: 'mlops', pipeline: 'training', parameters: { aproval: 'manual' } }], /rule 1 \('params'\): parameters: .*aproval/],
        [[{ name: 'twice', bucket: 'mlops', pipeline: 'training' }, { name: 'twice', bucket: 'mlops', pipeline: 'scoring' }], /rule 2 \('twice'\): the name 'twice' is used twice/],
        [[], /no rules/],
        [{ rules: [] }, /expected a JSON array of rules/],
      ];
      for (const [document, expected] of cases) {
        assert.throws(() => parseRoutes(document, 'f.json', '/x'), (err: unknown) => err instanceof RoutesError && expected.test(err.message), JSON.stringify(document));
      }
    });

    it('when a scoring rule has parameters, then any object is kept for the scoring starter', () => {
      const rules = parseRoutes([{ name: 's', bucket: 'mlops', pipeline: 'scoring', parameters: { batchSize: 100 } }], 'f.json', '/x');

      assert.deepEqual(rules[0]?.parameters, { batchSize: 100 });
    });
  });

  describe('loadRoutes', () => {
    let dir: string;

    beforeEach(async () => {
      dir = await createTempDir('mlops-routes-');
    });

    afterEach(async () => {
      await removeTempDir(dir);
    });

    it('when MLOPS_WEBHOOK_ROUTES names a good file, then its rules are used and a relative configFile is resolved against the file', async () => {
      await fs.writeFile(path.join(dir, 'run.json'), '{}');
      const file = path.join(dir, 'routes.json');
      await fs.writeFile(file, JSON.stringify({ routes: [{ name: 'lake', bucket: 'data-lake', prefix: 'daily/', pipeline: 'training', parameters: { configFile: 'run.json', approval: 'manual' } }] }));

      const rules = await loadRoutes({ bucket: 'mlops', webhookRoutes: file });

      assert.deepEqual(rules, [{ name: 'lake', bucket: 'data-lake', prefix: 'daily/', pipeline: 'training', parameters: { configFile: path.join(dir, 'run.json'), approval: 'manual' } }]);
    });

    it('when the file is missing, not JSON, or a configFile does not exist, then a RoutesError names the variable and file', async () => {
      const missing = path.join(dir, 'nope.json');
      await assert.rejects(loadRoutes({ bucket: 'mlops', webhookRoutes: missing }), new RegExp(`^RoutesError: MLOPS_WEBHOOK_ROUTES \\(${missing}\\): cannot read the file \\(ENOENT\\)`));

      const broken = path.join(dir, 'broken.json');
      await fs.writeFile(broken, '{"routes": [');
      await assert.rejects(loadRoutes({ bucket: 'mlops', webhookRoutes: broken }), /broken\.json\): not valid JSON/);

      const noConfig = path.join(dir, 'no-config.json');
      await fs.writeFile(noConfig, JSON.stringify([{ name: 'r', bucket: 'mlops', pipeline: 'training', parameters: { configFile: 'absent.json' } }]));
      await assert.rejects(loadRoutes({ bucket: 'mlops', webhookRoutes: noConfig }), /rule 1 \('r'\): parameters\.configFile: .*absent\.json is not a file/);
    });
  });
});
