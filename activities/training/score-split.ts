import { DEFAULT_INSTANCE_TYPES, isInstanceType } from '../../common/config/instance-types';
import type { ResourceConfig } from '../../common/types/jobs';
import type { ModelFamily } from '../../common/types/model';
import type { AlgorithmSpec } from '../../common/types/algorithm';
import { algorithmImage, type CpuPriority, type JobRunner } from '../backends/types';
import { runJobToCompletion } from '../shared/run-job';

export interface ScoreSplitInput {
  jobName: string;
  /** The model's family names its serving image (built-in or bring-your-own). */
  family: ModelFamily;
  /** What serves it; absent: the built-in algorithm the family names. */
  algorithm?: AlgorithmSpec;
  /** The model's feature schema (a bring-your-own transform needs it locally). */
  featureSchemaUri?: string;
  artifactUri: string;
  /** A split as pre-processing writes it: label first, no header. */
  splitUri: string;
  /** Receives `<split file>.out`: `label,prediction` per line, in the split's order. */
  outputPrefix: string;
  resources: ResourceConfig;
  maxRuntimeSeconds: number;
  cpuPriority?: CpuPriority;
}

/**
 * Scores a labelled split with a model in a batch transform of its own serving container (so any
 * artifact works, SageMaker's built-in Linear Learner included), keeping `label,prediction` per
 * line. Named by the caller, so a retried activity adopts its transform.
 */
export async function scoreLabelledSplit(jobs: JobRunner, pollIntervalMs: number, input: ScoreSplitInput): Promise<string> {
  const outputPrefix = input.outputPrefix.endsWith('/') ? input.outputPrefix : `${input.outputPrefix}/`;
  await runJobToCompletion(jobs, {
    kind: 'transform',
    jobName: input.jobName,
    pollIntervalMs,
    start: () =>
      jobs.startTransformJob({
        jobName: input.jobName,
        image: algorithmImage(input.family, input.algorithm),
        modelArtifactUri: input.artifactUri,
        // Only a bring-your-own transform needs the schema (its local serving process reads the feature count).
        ...(input.featureSchemaUri && input.algorithm?.kind === 'byo' ? { featureSchemaUri: input.featureSchemaUri } : {}),
        input: { s3Uri: input.splitUri, contentType: 'text/csv', splitType: 'Line' },
        output: { s3OutputPath: outputPrefix, accept: 'text/csv', assembleWith: 'Line' },
        // The split is label first: the model gets the features, the output keeps label and prediction.
        dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input', outputFilter: '$[0,-1]' },
        // A processing type (the baselines' default) is no transform type: SageMaker would refuse it.
        resources: isInstanceType('transform', input.resources.instanceType) ? input.resources : { ...input.resources, instanceType: DEFAULT_INSTANCE_TYPES.transform },
        maxRuntimeSeconds: input.maxRuntimeSeconds,
        ...(input.cpuPriority ? { cpuPriority: input.cpuPriority } : {}),
      }),
  });
  return outputPrefix;
}
