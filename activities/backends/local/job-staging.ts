import { promises as fs } from 'node:fs';
import path from 'node:path';
import { trainingPaths } from '../../../common/container-contract';
import { MissingInputError } from '../errors';
import { mapWithLimit } from '../files';
import type { ResourceConfig } from '../../../common/types/jobs';
import type { ProcessingJobSpec, TrainingJobSpec, TransformJobSpec } from '../types';
import { toLocalPath } from './container-mount';
import { ObjectNotFoundError, type LocalObjectStore } from './object-store';

/**
 * What a job's container holds before its process starts, written under `base` (the job's own
 * `/opt/ml`): config files and input data, as SageMaker stages them. Missing input is the caller's
 * mistake (JobInputError), found before any process runs.
 */

/** Input staging failed because the referenced data is missing: the caller's mistake. */
export class JobInputError extends MissingInputError {
  constructor(message: string) {
    super(message);
    this.name = 'JobInputError';
  }
}

export async function stageTrainingJob(store: LocalObjectStore, spec: TrainingJobSpec, base: string): Promise<void> {
  const paths = trainingPaths(base);
  await fs.mkdir(paths.configDir, { recursive: true });
  await fs.writeFile(path.join(paths.configDir, 'hyperparameters.json'), JSON.stringify(spec.hyperparameters));
  const dataConfig: Record<string, unknown> = {};
  for (const channel of spec.channels) {
    dataConfig[channel.name] = {
      ContentType: channel.contentType,
      TrainingInputMode: 'File',
      S3DistributionType: 'FullyReplicated',
      RecordWrapperType: 'None',
    };
  }
  // The channels side by side; an empty one is reported in the channels' order.
  await mapWithLimit(spec.channels, spec.channels.length, async (channel) => {
    const count = await store.downloadPrefix(channel.s3Uri, paths.channelDir(channel.name));
    if (count === 0) throw new JobInputError(`channel '${channel.name}': no objects under ${channel.s3Uri}`);
  });
  await fs.writeFile(path.join(paths.configDir, 'inputdataconfig.json'), JSON.stringify(dataConfig));
  await fs.writeFile(path.join(paths.configDir, 'resourceconfig.json'), JSON.stringify(resourceConfig(spec.resources)));
  await fs.mkdir(paths.modelDir, { recursive: true });
  await fs.mkdir(paths.outputDataDir, { recursive: true });
}

export async function stageProcessingJob(store: LocalObjectStore, spec: ProcessingJobSpec, base: string): Promise<void> {
  const paths = trainingPaths(base);
  await fs.mkdir(paths.outputDir, { recursive: true });
  await fs.mkdir(paths.configDir, { recursive: true });
  await fs.writeFile(path.join(paths.configDir, 'resourceconfig.json'), JSON.stringify(resourceConfig(spec.resources)));
  // Every container path is checked before anything is copied; then the inputs side by side.
  const inputs = spec.inputs.map((input) => ({ ...input, target: toLocalPath(base, input.localPath) }));
  await mapWithLimit(inputs, inputs.length, async (input) => {
    const { target } = input;
    const count = input.s3Uri.endsWith('/')
      ? await store.downloadPrefix(input.s3Uri, target)
      : await store.download(input.s3Uri, path.join(target, path.posix.basename(input.s3Uri))).then(
          () => 1,
          (err: Error) => {
            throw err instanceof ObjectNotFoundError ? new JobInputError(`input '${input.name}': ${err.message}`) : err;
          },
        );
    if (count === 0) throw new JobInputError(`input '${input.name}': no objects under ${input.s3Uri}`);
  });
  for (const output of spec.outputs) await fs.mkdir(toLocalPath(base, output.localPath), { recursive: true });
}

/** The local transform's own layout under `base/transform` (model, input, output, capture, schema). */
export function transformPaths(base: string) {
  const t = path.join(base, 'transform');
  return {
    modelDir: trainingPaths(base).modelDir,
    inputDir: path.join(t, 'input'),
    outputDir: path.join(t, 'output'),
    captureDir: path.join(t, 'capture'),
    featureSchema: path.join(t, 'schema', 'feature-schema.json'),
  };
}

export async function stageTransformJob(store: LocalObjectStore, spec: TransformJobSpec, base: string): Promise<void> {
  const paths = transformPaths(base);
  await fs.mkdir(trainingPaths(base).outputDir, { recursive: true });
  // The model and the input side by side; a missing model is reported first.
  await mapWithLimit(['model', 'input'] as const, 2, async (what) => {
    if (what === 'model') {
      await store.download(spec.modelArtifactUri, path.join(paths.modelDir, 'model.tar.gz')).catch((err: Error) => {
        throw err instanceof ObjectNotFoundError ? new JobInputError(`model: ${err.message}`) : err;
      });
      return;
    }
    const count = await store.downloadPrefix(spec.input.s3Uri, paths.inputDir);
    if (count === 0) throw new JobInputError(`input: no objects under ${spec.input.s3Uri}`);
  });
  await fs.mkdir(paths.outputDir, { recursive: true });
  if (spec.dataCapture) await fs.mkdir(paths.captureDir, { recursive: true });
  const schemaUri = spec.dataCapture?.featureSchemaUri ?? spec.featureSchemaUri;
  if (schemaUri) {
    await store.download(schemaUri, paths.featureSchema).catch((err: Error) => {
      throw err instanceof ObjectNotFoundError ? new JobInputError(`feature schema: ${err.message}`) : err;
    });
  }
}

/** `resourceconfig.json`: the cluster as SageMaker describes it to the container. */
export function resourceConfig(resources: ResourceConfig) {
  const hosts = Array.from({ length: resources.instanceCount }, (_, i) => `algo-${i + 1}`).sort();
  return {
    current_host: 'algo-1',
    current_instance_type: resources.instanceType,
    current_group_name: 'homogeneousCluster',
    hosts,
    instance_groups: [{ instance_group_name: 'homogeneousCluster', instance_type: resources.instanceType, hosts }],
    network_interface_name: 'lo',
  };
}
