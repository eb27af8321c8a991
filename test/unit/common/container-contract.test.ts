import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../../common/config/parse';
import {
  CONTAINER_BASE_DIR,
  MAX_FAILURE_REASON_CHARS,
  processingInput,
  processingInputDir,
  processingInputFile,
  processingOutput,
  processingOutputDir,
  trainingPaths,
} from '../../../common/container-contract';
import { PYTHON } from '../../helpers/temporal-env';

describe('common/container-contract', () => {
  it('when a processing spec names its inputs and outputs, then they are mounted under /opt/ml/processing by name', () => {
    assert.equal(processingInputDir('raw'), '/opt/ml/processing/input/raw');
    assert.equal(processingInputFile('schema', 'feature-schema.json'), '/opt/ml/processing/input/schema/feature-schema.json');
    assert.equal(processingOutputDir(), '/opt/ml/processing/output');
    assert.equal(processingOutputDir('features'), '/opt/ml/processing/output/features');
    assert.deepEqual(processingInput('baseline_dataset_input', 's3://b/train/'), { name: 'baseline_dataset_input', s3Uri: 's3://b/train/', localPath: '/opt/ml/processing/input/baseline_dataset_input' });
    assert.deepEqual(processingOutput('train', 's3://b/out/train/'), { name: 'train', s3Uri: 's3://b/out/train/', localPath: '/opt/ml/processing/output/train' });
    assert.deepEqual(processingOutput('report', 's3://b/report/', processingOutputDir()), { name: 'report', s3Uri: 's3://b/report/', localPath: '/opt/ml/processing/output' });
  });

  it('when a name could climb out of its dir or hide, then the helper refuses it naming the rule', () => {
    for (const bad of ['..', '.', '', 'a/b', '.hidden', 'x\\y', 'sp ace', 'a'.repeat(256)]) {
      assert.throws(() => processingInputDir(bad), /invalid input name .*letters, digits/, JSON.stringify(bad));
    }
    assert.throws(() => processingOutputDir('../x'), /invalid output name/);
    assert.throws(() => processingInputFile('schema', '../../etc/passwd'), /invalid file name/);
    assert.throws(() => trainingPaths().channelDir('train/..'), /invalid channel name/);
  });

  it('when compared with algorithms/mlops_algorithms/contract.py, then the training layout and the failure-reason limit are the same', () => {
    const script = [
      'import json, sys',
      'from pathlib import Path',
      'from mlops_algorithms.contract import DEFAULT_BASE_DIR, MAX_REASON_CHARS, TrainingPaths',
      'out = {"default": DEFAULT_BASE_DIR, "limit": MAX_REASON_CHARS, "layouts": []}',
      'for base in sys.argv[1:]:',
      '    p = TrainingPaths(Path(base))',
      '    out["layouts"].append({k: str(getattr(p, k)) for k in ("config_dir", "data_dir", "model_dir", "output_dir", "failure_file", "message_file")} | {"channel": str(p.channel_dir("train"))})',
      'print(json.dumps(out))',
    ].join('\n');
    const bases = [CONTAINER_BASE_DIR, '/tmp/jobs/training/job-1/opt/ml'];
    const python = JSON.parse(
      execFileSync(PYTHON, ['-c', script, ...bases], { env: { ...process.env, PYTHONPATH: path.join(REPO_ROOT, 'algorithms') }, encoding: 'utf8' }),
    ) as { default: string; limit: number; layouts: Record<string, string>[] };

    assert.equal(python.default, CONTAINER_BASE_DIR);
    assert.equal(python.limit, MAX_FAILURE_REASON_CHARS);
    assert.deepEqual(
      bases.map((base) => {
        const p = trainingPaths(base);
        return { config_dir: p.configDir, data_dir: p.dataDir, model_dir: p.modelDir, output_dir: p.outputDir, failure_file: p.failureFile, message_file: p.messageFile, channel: p.channelDir('train') };
      }),
      python.layouts,
    );
  });
});
