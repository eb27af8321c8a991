import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DescribeProcessingJobCommand, DescribeTrainingJobCommand, DescribeTransformJobCommand } from '@aws-sdk/client-sagemaker';
import { PROJECT_IMAGE_TAG } from '../../activities/backends/aws/images';
import { MissingInputError } from '../../activities/backends/errors';
import type { JobDescription, JobKind, ProcessingJobSpec, TrainingJobSpec, TransformJobSpec } from '../../activities/backends/types';
import { modelArtifactUri } from '../../common/artifacts';
import { pollUntil } from '../helpers/temp-dir';
import { contractSuite, type ContractTarget } from './backends';

/**
 * Fake algorithm modules for the local backend (the real ones need real data and take longer):
 * they follow the same container contract. On moto nothing runs: moto records the request and
 * reports every training, processing and transform job Completed at once, so the aws side checks
 * what SageMaker was asked (read back with Describe*) and the states moto exposes.
 */
const FAKES: Record<string, string> = {
  'mlops_algorithms/__init__.py': '',
  'mlops_algorithms/xgboost/__init__.py': '',
  'mlops_algorithms/xgboost/__main__.py': String.raw`
import json, os
base = os.environ['SAGEMAKER_BASE_DIR']
with open(os.path.join(base, 'model', 'xgboost-model'), 'w') as f:
    f.write('fake model')
print('[0]\ttrain-rmse:10.5\tvalidation-rmse:12.25')
print('[1]\ttrain-rmse:5.5\tvalidation-rmse:6.75')
`,
  'mlops_algorithms/preprocess/__init__.py': '',
  'mlops_algorithms/preprocess/__main__.py': String.raw`
import os, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
out = os.path.join(args['--output-dir'], 'train')
os.makedirs(out, exist_ok=True)
names = sorted(os.listdir(args['--input-dir']))
with open(os.path.join(out, 'part-0.csv'), 'w') as f:
    f.write('\n'.join(names) + '\n')
`,
  'mlops_algorithms/transform/__init__.py': '',
  'mlops_algorithms/transform/__main__.py': String.raw`
import os
src, dst = os.environ['input_dir'], os.environ['output_dir']
for name in sorted(os.listdir(src)):
    with open(os.path.join(src, name)) as f:
        rows = [r for r in f.read().splitlines() if r]
    with open(os.path.join(dst, name + '.out'), 'w') as f:
        f.write(''.join('%d\n' % (i * 100) for i, _ in enumerate(rows)))
    if os.environ.get('capture_dir'):
        with open(os.path.join(os.environ['capture_dir'], name + '.capture.csv'), 'w') as f:
            f.write('captured\n')
`,
};

async function writeFakes(dir: string): Promise<void> {
  for (const [rel, content] of Object.entries(FAKES)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), content);
  }
}

const resources = { instanceType: 'ml.m5.large', instanceCount: 1 };

function trainingSpec(jobName: string, overrides: Partial<TrainingJobSpec> = {}): TrainingJobSpec {
  return {
    jobName,
    image: 'xgboost',
    metricDefinitions: [
      { name: 'train:rmse', regex: '.*\\[[0-9]+\\].*#011train-rmse:([-+]?[0-9]*\\.?[0-9]+).*' },
      { name: 'validation:rmse', regex: '.*\\[[0-9]+\\].*#011validation-rmse:([-+]?[0-9]*\\.?[0-9]+).*' },
    ],
    hyperparameters: { num_round: '2', objective: 'reg:squarederror', eta: '0.3' },
    channels: [
      { name: 'train', s3Uri: 's3://mlops/jobs/data/train/', contentType: 'text/csv' },
      { name: 'validation', s3Uri: 's3://mlops/jobs/data/validation/', contentType: 'text/csv' },
    ],
    outputPath: 's3://mlops/jobs/models',
    resources,
    maxRuntimeSeconds: 600,
    tags: { family: 'xgboost' },
    ...overrides,
  };
}

function processingSpec(jobName: string, overrides: Partial<ProcessingJobSpec> = {}): ProcessingJobSpec {
  return {
    jobName,
    image: 'preprocess',
    arguments: ['--input-dir', '/opt/ml/processing/input/raw', '--output-dir', '/opt/ml/processing/output'],
    environment: { MLOPS_MODE: 'contract' },
    inputs: [{ name: 'raw', s3Uri: 's3://mlops/jobs/raw/cars.csv', localPath: '/opt/ml/processing/input/raw' }],
    outputs: [{ name: 'train', s3Uri: 's3://mlops/jobs/preprocessed/train/', localPath: '/opt/ml/processing/output/train' }],
    resources,
    maxRuntimeSeconds: 600,
    ...overrides,
  };
}

function transformSpec(jobName: string): TransformJobSpec {
  return {
    jobName,
    image: 'xgboost',
    modelArtifactUri: 's3://mlops/jobs/models/fixed/output/model.tar.gz',
    input: { s3Uri: 's3://mlops/jobs/score/in/', contentType: 'text/csv', splitType: 'Line' },
    output: { s3OutputPath: 's3://mlops/jobs/score/out/', accept: 'text/csv', assembleWith: 'Line' },
    dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input', outputFilter: '$[0,-1]' },
    dataCapture: { destinationS3Uri: 's3://mlops/jobs/score/capture/', generateInferenceId: true, featureSchemaUri: 's3://mlops/jobs/schema/feature-schema.json' },
    resources,
    maxRuntimeSeconds: 600,
  };
}

function waitForEnd(t: ContractTarget, kind: JobKind, jobName: string): Promise<JobDescription | undefined> {
  return pollUntil(() => t.backend.jobs.describeJob(kind, jobName), (d) => d !== undefined && d.status !== 'InProgress', { timeoutMs: 20_000, intervalMs: 50 });
}

contractSuite(
  'contract: JobRunner',
  (target, kind) => {
    beforeEach(async () => {
      const { backend } = target();
      await backend.objectStore.put('s3://mlops/jobs/data/train/part-0.csv', '1,2,3\n4,5,6\n');
      await backend.objectStore.put('s3://mlops/jobs/data/validation/part-0.csv', '7,8,9\n');
      await backend.objectStore.put('s3://mlops/jobs/raw/cars.csv', 'price,mileage\n1,2\n');
      await backend.objectStore.put('s3://mlops/jobs/models/fixed/output/model.tar.gz', 'not really a tarball');
      await backend.objectStore.put('s3://mlops/jobs/score/in/batch-1.csv', '1,2\n3,4\n');
      await backend.objectStore.put('s3://mlops/jobs/schema/feature-schema.json', '{"features":[]}');
    });

    it(`training job: starts, ${kind === 'aws' ? 'moto reports Completed at once (no training runs)' : 'runs to Completed'}, model artifact at <output>/<job>/output/model.tar.gz`, async () => {
      const t = target();
      assert.deepEqual(await t.backend.jobs.startTrainingJob(trainingSpec('contract-train-1')), { alreadyExisted: false });
      const d = await waitForEnd(t, 'training', 'contract-train-1');
      assert.ok(d);
      assert.equal(d.status, 'Completed');
      assert.equal(d.kind, 'training');
      assert.equal(d.jobName, 'contract-train-1');
      assert.equal(d.modelArtifactUri, modelArtifactUri('s3://mlops/jobs/models', 'contract-train-1'));
      assert.deepEqual(d.resources, resources);
      assert.ok(d.startTime && d.endTime && !Number.isNaN(Date.parse(d.creationTime)));
      if (kind === 'local') {
        assert.deepEqual(d.finalMetrics.find((m) => m.name === 'validation:rmse'), { name: 'validation:rmse', value: 6.75 });
      } else {
        // What SageMaker was asked for: the built-in XGBoost image of the region, the hyperparameters
        // under their built-in names, the metric definitions and the channels.
        const raw = await t.aws!.clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'contract-train-1' }));
        assert.equal(raw.AlgorithmSpecification?.TrainingImage, '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1');
        assert.deepEqual(raw.HyperParameters, { num_round: '2', objective: 'reg:squarederror', eta: '0.3' });
        assert.deepEqual(raw.InputDataConfig?.map((c) => [c.ChannelName, c.DataSource?.S3DataSource?.S3Uri, c.ContentType]), [
          ['train', 's3://mlops/jobs/data/train/', 'text/csv'],
          ['validation', 's3://mlops/jobs/data/validation/', 'text/csv'],
        ]);
        assert.equal(raw.RoleArn, t.aws!.settings.roleArn);
        assert.equal(raw.StoppingCondition?.MaxRuntimeInSeconds, 600);
        // moto's FinalMetricDataList is a fixed `train:progress` = 100, mapped as any other metric.
        assert.deepEqual(d.finalMetrics, [{ name: 'train:progress', value: 100 }]);
      }
    });

    /** A training job run to its end, for the tests about a job that exists. */
    async function finishedTrainingJob(t: ContractTarget, jobName: string): Promise<void> {
      assert.deepEqual(await t.backend.jobs.startTrainingJob(trainingSpec(jobName)), { alreadyExisted: false });
      assert.equal((await waitForEnd(t, 'training', jobName))?.status, 'Completed');
    }

    it('starting a training job whose name exists adopts it (alreadyExisted: true), without a second job', async () => {
      const t = target();
      await finishedTrainingJob(t, 'contract-train-1');
      assert.deepEqual(await t.backend.jobs.startTrainingJob(trainingSpec('contract-train-1')), { alreadyExisted: true });
      assert.equal((await t.backend.jobs.describeJob('training', 'contract-train-1'))?.status, 'Completed');
    });

    it('missing input data is a MissingInputError before anything starts', async () => {
      const t = target();
      const spec = trainingSpec('contract-train-missing', { channels: [{ name: 'train', s3Uri: 's3://mlops/jobs/nothing/', contentType: 'text/csv' }] });
      await assert.rejects(t.backend.jobs.startTrainingJob(spec), (err: unknown) => err instanceof MissingInputError && /channel 'train': no objects under s3:\/\/mlops\/jobs\/nothing\//.test(err.message));
      assert.equal(await t.backend.jobs.describeJob('training', 'contract-train-missing'), undefined);
      await assert.rejects(
        t.backend.jobs.startProcessingJob(processingSpec('contract-proc-missing', { inputs: [{ name: 'raw', s3Uri: 's3://mlops/jobs/raw/none.csv', localPath: '/opt/ml/processing/input/raw' }] })),
        (err: unknown) => err instanceof MissingInputError,
      );
    });

    it('job names must follow SageMaker’s rule (1-63 characters, letters, digits, inner hyphens)', async () => {
      const t = target();
      await assert.rejects(t.backend.jobs.startTrainingJob(trainingSpec('a'.repeat(64))), /invalid .*job name/);
      await assert.rejects(t.backend.jobs.startTrainingJob(trainingSpec('under_score')), /invalid .*job name/);
    });

    it('describeJob of an unknown name is undefined for every kind; stopJob of a finished job is a no-op', async () => {
      const t = target();
      await finishedTrainingJob(t, 'contract-train-1');
      for (const k of ['training', 'processing', 'transform'] as const) assert.equal(await t.backend.jobs.describeJob(k, 'contract-no-such-job'), undefined);
      await t.backend.jobs.stopJob('training', 'contract-train-1');
      await t.backend.jobs.stopJob('training', 'contract-no-such-job');
      assert.equal((await t.backend.jobs.describeJob('training', 'contract-train-1'))?.status, 'Completed');
    });

    it(`processing job: ${kind === 'aws' ? 'moto reports Completed at once' : 'runs to Completed'}, outputs named; starting again adopts it`, async () => {
      const t = target();
      assert.deepEqual(await t.backend.jobs.startProcessingJob(processingSpec('contract-proc-1')), { alreadyExisted: false });
      const d = await waitForEnd(t, 'processing', 'contract-proc-1');
      assert.equal(d?.status, 'Completed');
      assert.deepEqual(d?.outputs, { train: 's3://mlops/jobs/preprocessed/train/' });
      assert.deepEqual(await t.backend.jobs.startProcessingJob(processingSpec('contract-proc-1')), { alreadyExisted: true });
      if (kind === 'local') {
        assert.equal((await t.backend.objectStore.get('s3://mlops/jobs/preprocessed/train/part-0.csv')).toString(), 'cars.csv\n');
      } else {
        const raw = await t.aws!.clients.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: 'contract-proc-1' }));
        assert.deepEqual(raw.AppSpecification?.ContainerEntrypoint, ['python3', '-m', 'mlops_algorithms.preprocess']);
        assert.deepEqual(raw.AppSpecification?.ContainerArguments, processingSpec('x').arguments);
        // The project image in the role's account, tagged with the version `make image-push` pushes.
        assert.equal(raw.AppSpecification?.ImageUri, `123456789012.dkr.ecr.us-east-1.amazonaws.com/temporal-mlops-algorithms:${PROJECT_IMAGE_TAG}`);
        // (moto 5.2.5 drops a processing job's Environment, so it cannot be read back here.)
        assert.deepEqual(raw.ProcessingInputs?.map((i) => [i.InputName, i.S3Input?.S3Uri, i.S3Input?.LocalPath]), [['raw', 's3://mlops/jobs/raw/cars.csv', '/opt/ml/processing/input/raw']]);
      }
    });

    it(`transform job with DataProcessing and data capture: ${kind === 'aws' ? 'moto reports Completed at once (writes no output)' : 'runs to Completed and lists its .out and capture objects'}`, async () => {
      const t = target();
      assert.deepEqual(await t.backend.jobs.startTransformJob(transformSpec('contract-transform-1')), { alreadyExisted: false });
      const d = await waitForEnd(t, 'transform', 'contract-transform-1');
      assert.equal(d?.status, 'Completed');
      assert.equal(d?.outputs?.output, 's3://mlops/jobs/score/out/');
      assert.equal(d?.outputs?.capture, 's3://mlops/jobs/score/capture/');
      assert.deepEqual(await t.backend.jobs.startTransformJob(transformSpec('contract-transform-1')), { alreadyExisted: true });
      if (kind === 'local') {
        assert.deepEqual(d?.outputObjects, ['s3://mlops/jobs/score/out/batch-1.csv.out', 's3://mlops/jobs/score/capture/batch-1.csv.capture.csv']);
      } else {
        assert.deepEqual(d?.outputObjects, []);
        const raw = await t.aws!.clients.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: 'contract-transform-1' }));
        assert.deepEqual(raw.DataProcessing, { InputFilter: '$[1:]', JoinSource: 'Input', OutputFilter: '$[0,-1]' });
        assert.deepEqual(raw.DataCaptureConfig, { DestinationS3Uri: 's3://mlops/jobs/score/capture/', GenerateInferenceId: true });
        assert.equal(raw.ModelName, 'contract-transform-1');
        assert.equal(raw.TransformInput?.SplitType, 'Line');
      }
    });
  },
  { localAlgorithms: writeFakes },
);
