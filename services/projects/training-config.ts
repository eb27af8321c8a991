import { createHash } from 'node:crypto';
import type { ObjectStore } from '../../activities/backends/types';
import { endpointNamePrefix, isDefaultProject, projectUri } from '../../common/project';
import type { DatasetSpec, ProjectAlgorithm, ProjectFile } from '../../common/schemas/project';
import type { AlgorithmSpec } from '../../common/types/algorithm';
import type { TaskQueues } from '../../common/task-queues';
import type { ModelTrainingConfig, TrainingConfig } from '../../common/types/training';
import { s3Uri } from '../../common/uri';
import { DEFAULT_HYPERPARAMETERS, defaultTrainingConfig } from '../training/defaults';

/**
 * A project file as a training run's configuration: its algorithms (built-in or bring-your-own)
 * with their hyperparameters over the built-ins' defaults, its thresholds and policies over the
 * stack's defaults, and its names: `mlops-<project>-<family>` endpoints, capture under
 * `projects/<project>/capture`. The demo project's names are today's (common/project.ts).
 */
export function projectTrainingConfig(project: ProjectFile, options: { bucket: string; taskQueues: TaskQueues }): TrainingConfig {
  const base = defaultTrainingConfig(options.bucket, options.taskQueues);
  const training = project.training ?? {};
  const defaultResources = { instanceType: training.instanceType ?? base.models[0]!.resources.instanceType, instanceCount: 1 };
  const models: ModelTrainingConfig[] = project.algorithms
    .filter((a) => a.enabled)
    .map((a) => ({
      family: a.name,
      // The demo's families name their built-ins: their runs keep carrying no algorithm (as before projects).
      ...(isDefaultProject(project.name) && a.kind === a.name ? {} : { algorithm: algorithmSpec(a) }),
      hyperparameters: { ...(a.kind === 'byo' ? {} : DEFAULT_HYPERPARAMETERS[a.kind]), ...a.hyperparameters },
      resources: { instanceType: a.instanceType ?? defaultResources.instanceType, instanceCount: a.instanceCount ?? 1 },
      ...(a.rmseThreshold !== undefined ? { rmseThreshold: a.rmseThreshold } : {}),
      ...(a.comparison ? { comparison: a.comparison } : {}),
      ...(a.deployment ? { deployment: a.deployment } : {}),
    }));
  const config: TrainingConfig = {
    ...base,
    ...(isDefaultProject(project.name) ? {} : { project: project.name }),
    models,
    ...(training.rmseThreshold !== undefined ? { rmseThreshold: training.rmseThreshold } : {}),
    split: { ...base.split, ...training.split },
    dataChecks: { ...base.dataChecks, ...training.dataChecks },
    ...(training.maxJobRuntimeSeconds !== undefined ? { maxJobRuntimeSeconds: training.maxJobRuntimeSeconds } : {}),
    comparison: { ...base.comparison, ...training.comparison },
    ...(training.dataShift ? { dataShift: training.dataShift } : {}),
    approval: { ...base.approval!, ...training.approval },
  };
  if (training.processingInstanceType) {
    config.preprocessing = { resources: { ...config.preprocessing.resources, instanceType: training.processingInstanceType } };
    config.baselines = { ...config.baselines, resources: { ...config.baselines.resources, instanceType: training.processingInstanceType } };
  }
  if (training.transformInstanceType) config.baselines = { ...config.baselines, transformResources: { instanceCount: 1, instanceType: training.transformInstanceType } };
  const deployment = project.deployment;
  if (deployment?.enabled === false) delete config.deployment;
  else if (config.deployment) {
    config.deployment = {
      ...config.deployment,
      endpointNamePrefix: endpointNamePrefix(project.name, config.deployment.endpointNamePrefix),
      ...(deployment?.instanceType ? { instanceType: deployment.instanceType } : {}),
      ...(deployment?.instanceCount ? { instanceCount: deployment.instanceCount } : {}),
      // Step 10's policy, alarms and autoscaling, as a run configuration's `deployment` sets them.
      ...(deployment?.policy ? { policy: deployment.policy } : {}),
      ...(deployment?.alarms ? { alarms: deployment.alarms } : {}),
      ...(deployment?.autoscaling ? { autoscaling: deployment.autoscaling } : {}),
      dataCapture: {
        ...config.deployment.dataCapture,
        destinationUri: projectUri(config.deployment.dataCapture.destinationUri, project.name),
        ...(deployment?.samplingPercentage !== undefined ? { samplingPercentage: deployment.samplingPercentage } : {}),
      },
    };
  }
  return config;
}

/** What a run carries of a project algorithm: its kind, and for a bring-your-own one its container. */
export function algorithmSpec(a: ProjectAlgorithm): AlgorithmSpec {
  if (a.kind !== 'byo') return { kind: a.kind };
  return {
    kind: 'byo',
    name: a.name,
    ...(a.image ? { image: a.image } : {}),
    ...(a.command ? { command: a.command } : {}),
    // Relative to the repository root of the worker that runs it (its checkout, or its image).
    ...(a.dir ? { dir: a.dir } : {}),
    acceptsMissing: a.acceptsMissing,
    ...(a.metricDefinitions ? { metricDefinitions: a.metricDefinitions } : {}),
  };
}

/** The dataset spec as the pre-processing job reads it (the project file's profiles are for people). */
export function datasetSpecDocument(dataset: DatasetSpec): Record<string, unknown> {
  return {
    ...dataset,
    features: dataset.features.map((f) => {
      const { profile: _profile, ...rule } = f;
      return rule;
    }),
  };
}

/**
 * Puts the project's dataset spec into the bucket, under a key named by its content: a run names
 * the spec it used for good (a later edit of the project file writes a new object), and a retried
 * start writes the same object again.
 */
export async function putDatasetSpec(store: ObjectStore, bucket: string, project: ProjectFile): Promise<string> {
  const body = `${JSON.stringify(datasetSpecDocument(project.dataset), null, 2)}\n`;
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 16);
  const uri = s3Uri(bucket, `projects/${project.name}/dataset-spec/${digest}/dataset-spec.json`);
  await store.put(uri, body, { contentType: 'application/json' });
  return uri;
}
