import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createLocalBackend } from '../../../../activities/backends/local';
import type { Backend, JobDescription, JobRunner, TransformJobSpec } from '../../../../activities/backends/types';
import { readInsightRows } from '../../../../activities/insights/parquet';
import { compileCsvFilter, deriveCaptureFile, type DeriveCaptureOptions } from '../../../../activities/scoring/derive-capture';
import { createScoringActivities, type BatchTransformInput } from '../../../../activities/scoring/scoring';
import { passThroughDataProcessing } from '../../../../common/data-processing';
import { quietActivityEnvironment, runInActivity } from '../../../helpers/activity-env';
import { PYTHON } from '../../../helpers/temporal-env';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

const ID_A = '1f1d57b1-2e6f-488c-8c30-db4e6d757861';
const ID_B = '5c0ad2d8-8d5b-4b5e-9c1c-2a6b3f4e5d6a';
const SCORING: DeriveCaptureOptions = {
  name: 'cars.csv',
  featureNames: ['Mileage', 'Year', 'Make_bmw'],
  dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input', outputFilter: '$[0,-1]' },
  generateInferenceId: true,
};

describe('activities/scoring/derive-capture', () => {
  describe('compileCsvFilter (the DataProcessing subset over CSV fields, inclusive slice end)', () => {
    const cases: [string, number, number[]][] = [
      ['$', 3, [0, 1, 2]],
      ['$[*]', 3, [0, 1, 2]],
      ['$[1:]', 4, [1, 2, 3]],
      ['$[0,-1]', 5, [0, 4]],
      ['$[1:3]', 6, [1, 2, 3]],
      ['$[0,5:]', 7, [0, 5, 6]],
      ['$[:-2]', 4, [0, 1, 2]],
      ['$[2:9]', 4, [2, 3]],
      ['$[3:1]', 4, []],
    ];
    for (const [filter, n, expected] of cases) {
      it(`${filter} over ${n} fields selects [${expected.join(',')}]`, () => assert.deepEqual(compileCsvFilter(filter)(n), expected));
    }

    it('the pass-through filters of 17 features keep every field after them plus the prediction', () => {
      const { inputFilter, outputFilter } = passThroughDataProcessing(17);
      assert.deepEqual([inputFilter, outputFilter], ['$[0:16]', '$[17:]']);
      assert.deepEqual(compileCsvFilter(inputFilter)(20), Array.from({ length: 17 }, (_, i) => i), 'the 17 features of 17 + 3 pass-through fields');
      assert.deepEqual(compileCsvFilter(outputFilter)(21), [17, 18, 19, 20], 'the joined record: 3 pass-through fields + the prediction');
      assert.throws(() => passThroughDataProcessing(0), /positive integer/);
    });

    it('rejects what CSV records cannot satisfy, naming the filter', () => {
      assert.throws(() => compileCsvFilter('$[0,-1]')(0), /'\$\[0,-1\]': index 0 is out of range for a record of 0 fields/);
      assert.throws(() => compileCsvFilter('$[0:1,3:]'), /only single range filters are supported/);
      assert.throws(() => compileCsvFilter("$['id']"), /does not select fields of a CSV record/);
      assert.throws(() => compileCsvFilter('$[::2]'), /slice steps are not supported/);
    });
  });

  describe('deriveCaptureFile', () => {
    let tmp: string;
    beforeEach(async () => {
      tmp = await createTempDir('mlops-derive-capture-');
    });
    afterEach(async () => removeTempDir(tmp));

    async function derive(input: string, out: string, options: DeriveCaptureOptions = SCORING): Promise<{ records: number; lines: string[] }> {
      const files = ['in', 'out', 'cap'].map((f) => path.join(tmp, f)) as [string, string, string];
      await fs.writeFile(files[0], input);
      await fs.writeFile(files[1], out);
      const records = await deriveCaptureFile(...files, options);
      return { records, lines: (await fs.readFile(files[2], 'utf8')).split('\n') };
    }

    it('joins each input record with its .out line: inference id as record id, the model input after InputFilter, the prediction', async () => {
      const { records, lines } = await derive(
        '\uFEFF1043,38000,2005,1\n"id,7",41000,2011,0\n',
        `1043,14215.3,${ID_A},2025-06-01T12:00:03Z\n"id,7",9100.5,${ID_B},2025-06-01T12:00:03Z\n`,
      );
      assert.equal(records, 2);
      assert.deepEqual(lines, ['record_id,Mileage,Year,Make_bmw,prediction', `${ID_A},38000,2005,1,14215.3`, `${ID_B},41000,2011,0,9100.5`, '']);
    });

    it('with the pass-through layout (features first, then the file\'s own columns), the capture holds only the features and the prediction', async () => {
      const { lines } = await derive(
        '38000,2005,1,GM-1,"one owner, ""mint"""\n41000,2011,0,GM-2,\n',
        `GM-1,"one owner, ""mint""",14215.3,${ID_A},2025-06-01T12:00:03Z\nGM-2,,9100.5,${ID_B},2025-06-01T12:00:03Z\n`,
        { ...SCORING, dataProcessing: passThroughDataProcessing(3) },
      );
      assert.deepEqual(lines, ['record_id,Mileage,Year,Make_bmw,prediction', `${ID_A},38000,2005,1,14215.3`, `${ID_B},41000,2011,0,9100.5`, '']);
    });

    it('without inference ids the record id is <input name>:<line> (blank lines skipped, counted)', async () => {
      const { lines } = await derive('1,38000,2005,1\n\n2,41000,2011,0\n', '1,14215.3\n\n2,9100.5\n', { ...SCORING, generateInferenceId: false });
      assert.deepEqual(lines.slice(1, 3), ['cars.csv:1,38000,2005,1,14215.3', 'cars.csv:3,41000,2011,0,9100.5']);
    });

    it('reads Linear Learner’s JSON answer joined to the CSV line ({"score": v}, quoted or not)', async () => {
      const { lines } = await derive('1,38000,2005,1\n2,41000,2011,0\n', `1,{"score":14215.3},${ID_A},t\n2,"{""score"": 9.1e3}",${ID_B},t\n`);
      assert.deepEqual(lines.slice(1, 3), [`${ID_A},38000,2005,1,14215.3`, `${ID_B},41000,2011,0,9.1e3`]);
    });

    it('JoinSource None: the .out line is the prediction alone', async () => {
      const { lines } = await derive('38000,2005,1\n', '14215.3\n', { ...SCORING, generateInferenceId: false, dataProcessing: { inputFilter: '$', joinSource: 'None', outputFilter: '$' } });
      assert.equal(lines[1], 'cars.csv:1,38000,2005,1,14215.3');
    });

    it('fails, naming the file, when input and output do not line up or the model input does not match the schema', async () => {
      await assert.rejects(derive('1,38000,2005,1\n2,41000,2011,0\n', `1,14215.3,${ID_A},t\n`), /cars\.csv: the input has more records than the \.out \(1 in both\)/);
      await assert.rejects(derive('1,38000,2005\n', `1,14215.3,${ID_A},t\n`), /cars\.csv: line 1: 2 model input fields after InputFilter '\$\[1:\]', the feature schema names 3/);
      await assert.rejects(derive('1,38000,2005,1\n', `1,not-a-number,${ID_A},t\n`), /cars\.csv: \.out line 1: no prediction/);
    });
  });

  describe('runBatchTransformJob on a backend whose transform writes no per-file capture (SageMaker: manifests only)', function () {
    this.timeout(20_000);
    let tmp: string;
    let backend: Backend;
    const spec: { started?: TransformJobSpec } = {};

    beforeEach(async () => {
      tmp = await createTempDir('mlops-derive-activity-');
      const local = createLocalBackend({ home: path.join(tmp, 'home'), python: PYTHON, algorithmsDir: path.join(tmp, 'algorithms') });
      const completed = (objects: string[]): JobDescription => ({
        jobName: 'transform-x',
        kind: 'transform',
        status: 'Completed',
        secondaryStatus: 'Completed',
        creationTime: '2026-12-06T10:00:00.000Z',
        endTime: '2026-12-06T10:01:00.000Z',
        resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
        finalMetrics: [],
        outputObjects: objects,
      });
      const jobs: JobRunner = {
        startTrainingJob: () => Promise.reject(new Error('not used')),
        startProcessingJob: () => Promise.reject(new Error('not used')),
        startTransformJob: async (s) => {
          spec.started = s;
          return { alreadyExisted: false };
        },
        describeJob: async () => completed(['s3://mlops/scored/x/part-1.csv.out', 's3://mlops/capture/batch/xgboost/run/input/2026/12/06/10/transform-x.json']),
        stopJob: () => Promise.resolve(),
      };
      backend = { ...local, jobs };
      await backend.objectStore.put('s3://mlops/schema/feature-schema.json', JSON.stringify({ schemaVersion: 1, label: { name: 'Price', type: 'float' }, features: [{ name: 'Mileage', type: 'float' }, { name: 'Year', type: 'integer' }, { name: 'Make_bmw', type: 'binary' }] }));
      await backend.objectStore.put('s3://mlops/features/part-1.csv', '1043,38000,2005,1\n1044,41000,2011,0\n');
      await backend.objectStore.put('s3://mlops/scored/x/part-1.csv.out', `1043,14215.3,${ID_A},t\n1044,9100.5,${ID_B},t\n`);
      await backend.objectStore.put('s3://mlops/capture/batch/xgboost/run/input/2026/12/06/10/transform-x.json', '[{"prefix":"s3://mlops/features/"},"part-1.csv"]');
    });
    afterEach(async () => removeTempDir(tmp));

    it('builds <input>.captured.csv from the input and its .out, returns it as the capture and records the scoring from it', async () => {
      const activities = createScoringActivities(backend, { pollIntervalMs: 5 });
      const input: BatchTransformInput = {
        jobName: 'transform-x',
        model: { family: 'xgboost', modelName: 'model-xgboost-1', modelVersion: 1, artifactUri: 's3://mlops/model.tar.gz', featureSchemaUri: 's3://mlops/schema/feature-schema.json' },
        inputPrefix: 's3://mlops/features/',
        outputPath: 's3://mlops/scored/x/',
        dataProcessing: SCORING.dataProcessing,
        capture: { destinationUri: 's3://mlops/capture/batch/xgboost/run/', generateInferenceId: true },
        resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
        maxRuntimeSeconds: 60,
      };
      const result = await runInActivity(quietActivityEnvironment(), () => activities.runBatchTransformJob(input));
      assert.deepEqual(result.captureUris, ['s3://mlops/capture/batch/xgboost/run/part-1.csv.captured.csv']);
      assert.equal((await backend.objectStore.get(result.captureUris[0]!)).toString('utf8'), `record_id,Mileage,Year,Make_bmw,prediction\n${ID_A},38000,2005,1,14215.3\n${ID_B},41000,2011,0,9100.5\n`);
      const rows = await readInsightRows(backend.objectStore, 'mlops', 'scoring_records');
      assert.deepEqual(rows.map((r) => [r.records, r.prediction_min, r.prediction_max, r.capture_uri]), [[2, 9100.5, 14215.3, result.captureUris[0]]]);
    });
  });
});
