import assert from 'node:assert/strict';
import { boundedWorkflowId, MAX_WORKFLOW_ID_BYTES, runKey, runScopedName, SAGEMAKER_NAME_MAX_LENGTH, SAGEMAKER_NAME_PATTERN, scoringWorkflowId, stableHash, trainingJobNames, trainingWorkflowId } from '../../../common/ids';
import { CONTROL_CHARACTERS } from '../../../common/object-keys';

/** A small seeded generator, so a failing random case can be reproduced from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'Z', '0', '9', '-', '_', '.', '/', ' ', '\t', '\u0000', 'é', 'ß', '日', '😀', '--', '@', ':'];

function randomText(random: () => number, maxLength: number): string {
  const length = Math.floor(random() * maxLength);
  let text = '';
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return text;
}

const run = { workflowId: 'training/mlops/cars.csv@etag1', runId: '6f1c2d9e-0000-4000-8000-000000000001' };

describe('common/ids', () => {
  describe('stableHash', () => {
    it('when hashing the empty string and "a", then it returns the FNV-1a 64-bit reference values', () => {
      assert.equal(stableHash(''), 'cbf29ce484222325');
      assert.equal(stableHash('a'), 'af63dc4c8601ec8c');
    });

    it('when hashing the same text twice, then the results are equal 16-character hex strings', () => {
      const text = 'training/mlops/data.csv@v1';

      const first = stableHash(text);
      const second = stableHash(text);

      assert.equal(first, second);
      assert.match(first, /^[0-9a-f]{16}$/);
    });

    it('when texts differ by one character, then their hashes differ', () => {
      assert.notEqual(stableHash('run-1'), stableHash('run-2'));
    });
  });

  describe('runScopedName', () => {
    it('when given many random parts and runs, then every name matches the SageMaker pattern and has at most 63 characters', () => {
      const random = seededRandom(20240611);
      for (let i = 0; i < 2000; i++) {
        const parts = Array.from({ length: Math.floor(random() * 4) }, () => randomText(random, i % 10 === 0 ? 200 : 30));
        const runRef = { workflowId: randomText(random, 80), runId: randomText(random, 40) };

        const name = runScopedName(parts, runRef);

        assert.ok(SAGEMAKER_NAME_PATTERN.test(name), `case ${i}: '${name}' from ${JSON.stringify(parts)} breaks the pattern`);
        assert.ok(name.length <= SAGEMAKER_NAME_MAX_LENGTH, `case ${i}: '${name}' is ${name.length} characters long`);
      }
    });

    it('when the parts have no letters or digits at all, then the name is still valid', () => {
      for (const parts of [[], [''], ['---'], ['日本', '😀'], ['..', '//']]) {
        const name = runScopedName(parts, run);

        assert.match(name, SAGEMAKER_NAME_PATTERN, JSON.stringify(parts));
      }
    });

    it('when the parts are very long, then the name is cut to 63 characters and ends with the 12-character hash', () => {
      const name = runScopedName(['train', 'x'.repeat(500)], run);

      assert.equal(name.length, SAGEMAKER_NAME_MAX_LENGTH);
      assert.match(name, /^train-x+-[0-9a-f]{12}$/);
    });

    it('when the cut would end on a hyphen, then the hyphen is dropped before the hash', () => {
      const name = runScopedName(['a-'.repeat(60)], run);

      assert.match(name, SAGEMAKER_NAME_PATTERN);
      assert.doesNotMatch(name, /--[0-9a-f]{12}$/);
    });

    it('when the same parts are named for the same run twice, then the names are equal', () => {
      assert.equal(runScopedName(['train', 'xgboost'], run), runScopedName(['train', 'xgboost'], { ...run }));
    });

    it('when the same parts are named for two runs of one workflow id, then the names differ', () => {
      const first = runScopedName(['train', 'xgboost'], run);
      const second = runScopedName(['train', 'xgboost'], { ...run, runId: 'another-run' });

      assert.notEqual(first, second);
      assert.ok(first.startsWith('train-xgboost-') && second.startsWith('train-xgboost-'));
    });

    it('when parts slug to the same text, then the hash still tells them apart', () => {
      assert.notEqual(runScopedName(['train', 'xgboost'], run), runScopedName(['train-xgboost'], run));
    });
  });

  describe('trainingJobNames', () => {
    it('when naming every step of one run, then all names are valid and distinct', () => {
      const names = [
        trainingJobNames.preprocess(run),
        trainingJobNames.train(run, 'xgboost'),
        trainingJobNames.train(run, 'linear-learner'),
        trainingJobNames.dataQualityBaseline(run),
        trainingJobNames.modelQualityBaseline(run, 'xgboost'),
        trainingJobNames.model(run, 'xgboost'),
      ];

      for (const name of names) assert.match(name, SAGEMAKER_NAME_PATTERN);
      assert.equal(new Set(names).size, names.length);
    });
  });

  describe('trainingWorkflowId', () => {
    it('when given bucket, key and version, then it returns training/<bucket>/<key>@<version>', () => {
      const id = trainingWorkflowId({ bucket: 'mlops', key: 'training/cars.csv', version: '3f2a' });

      assert.equal(id, 'training/mlops/training/cars.csv@3f2a');
    });

    it('when a run name is given, then it is appended as /run-<name>', () => {
      assert.equal(trainingWorkflowId({ bucket: 'mlops', key: 'training/cars.csv', version: '3f2a' }, 'r1'), 'training/mlops/training/cars.csv@3f2a/run-r1');
    });

    it('when the key is near S3\'s 1024-byte limit, then the id fits Temporal\'s 1000-byte limit, keeps a readable head and ends in a hash of the whole id', () => {
      const key = `training/${'d/'.repeat(400)}${'é'.repeat(100)}.csv`;
      const object = { bucket: 'mlops', key, version: '9b2cf535f27731c974343645a3985328' };

      const id = trainingWorkflowId(object);

      assert.ok(Buffer.byteLength(id, 'utf8') <= MAX_WORKFLOW_ID_BYTES, `${Buffer.byteLength(id, 'utf8')} bytes`);
      assert.ok(id.startsWith('training/mlops/training/d/d/'));
      assert.match(id, /~[0-9a-f]{16}$/);
      assert.equal(trainingWorkflowId({ ...object }), id, 'deterministic');
      assert.notEqual(trainingWorkflowId({ ...object, version: 'other' }), id, 'the version is in the hash even where the head is cut');
      assert.notEqual(scoringWorkflowId(object), id);
      assert.equal(Buffer.from(id, 'utf8').toString('utf8'), id, 'never cut inside a character');
    });
  });

  describe('boundedWorkflowId', () => {
    it('when an id is ordinary and within the limit, then it is returned unchanged (ids of existing runs stay the same)', () => {
      const id = `training/mlops/${'k'.repeat(900)}@e1`;
      assert.equal(boundedWorkflowId(id), id);
    });

    it('when an id has a newline, tab or other control character, then it holds none, and differs from the id with %0A typed literally', () => {
      const id = boundedWorkflowId('training/mlops/a\nb\tc\u0085.csv@e1');

      assert.doesNotMatch(id, CONTROL_CHARACTERS);
      assert.match(id, /^training\/mlops\/a%0Ab%09c%85\.csv@e1~[0-9a-f]{16}$/);
      assert.notEqual(boundedWorkflowId('training/mlops/a%0Ab%09c%85.csv@e1'), id);
    });

    it('when an id has a lone surrogate, then it becomes U+FFFD and the id is valid UTF-8', () => {
      const id = boundedWorkflowId('training/mlops/\ud83d.csv@e1');

      assert.equal(Buffer.from(id, 'utf8').toString('utf8'), id);
      assert.notEqual(id, boundedWorkflowId('training/mlops/\ufffd.csv@e1'));
    });

    it('when ids longer than the limit share their first 1000 bytes, then they still differ', () => {
      const head = 'x'.repeat(1200);
      const a = boundedWorkflowId(`${head}a`);
      const b = boundedWorkflowId(`${head}b`);

      assert.notEqual(a, b);
      assert.equal(Buffer.byteLength(a), MAX_WORKFLOW_ID_BYTES);
    });
  });

  describe('runKey', () => {
    it('when called twice for one run, then it returns the same 16 hex characters', () => {
      assert.equal(runKey(run), runKey({ ...run }));
      assert.match(runKey(run), /^[0-9a-f]{16}$/);
    });

    it('when the run id changes, then the key changes', () => {
      assert.notEqual(runKey(run), runKey({ ...run, runId: 'other' }));
    });

    it('when workflow id and run id shift a character between them, then the keys differ', () => {
      assert.notEqual(runKey({ workflowId: 'ab', runId: 'c' }), runKey({ workflowId: 'a', runId: 'bc' }));
    });
  });
});
