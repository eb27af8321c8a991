import type {
  CreateModelCommandInput,
  CreateProcessingJobCommandInput,
  CreateTrainingJobCommandInput,
  CreateTransformJobCommandInput,
  ProcessingInstanceType,
  TrainingInstanceType,
  TransformInstanceType,
} from '@aws-sdk/client-sagemaker';
import { instanceTypeProblem, type InstanceKind } from '../../../common/config/instance-types';
import { invalidInput } from '../../../common/errors';
import { imageLabel, type AlgorithmImage, type ProcessingJobSpec, type TrainingJobSpec, type TransformJobSpec } from '../types';
import { tagList, withKey, withVpc, type AwsControls } from './controls';
import { algorithmImageUri, builtInContract, PROCESSING_MODULES, type AwsImages } from './images';

/** What every request of the job runner is built from, besides the job's own spec. */
export interface JobRequestContext {
  roleArn: string;
  images: AwsImages;
  volumeSizeGb: number;
  controls: AwsControls;
}

/** SageMaker refuses an instance type outside its enum for the job kind (ValidationException): say so before the call. */
export function checkInstanceType(kind: InstanceKind, instanceType: string, what: string): void {
  const problem = instanceTypeProblem(kind, instanceType, what);
  if (problem) throw invalidInput(problem);
}

/** The tags of a job: the configured ones, then the spec's own under `mlops:`. */
function jobTags(ctx: JobRequestContext, own: Record<string, string> | undefined) {
  return tagList(ctx.controls, Object.fromEntries(Object.entries(own ?? {}).map(([k, v]) => [k.startsWith('mlops:') ? k : `mlops:${k}`, v])));
}

export function trainingJobRequest(spec: TrainingJobSpec, ctx: JobRequestContext): CreateTrainingJobCommandInput {
  checkInstanceType('training', spec.resources.instanceType, `training job ${spec.jobName}: resources.instanceType`);
  const image = algorithmImageUri(ctx.images, spec.image);
  const builtIn = builtInContract(spec.image, image);
  // A built-in algorithm registers its own metric definitions and fails on a channel it does not know.
  const channels = builtIn ? spec.channels.filter((c) => builtIn.channels.includes(c.name)) : spec.channels;
  const { controls } = ctx;
  return {
    TrainingJobName: spec.jobName,
    RoleArn: ctx.roleArn,
    AlgorithmSpecification: {
      TrainingImage: image,
      TrainingInputMode: 'File',
      ...(builtIn ? {} : { MetricDefinitions: spec.metricDefinitions.map((m) => ({ Name: m.name, Regex: m.regex })) }),
    },
    HyperParameters: spec.hyperparameters,
    InputDataConfig: channels.map((c) => ({
      ChannelName: c.name,
      ContentType: c.contentType,
      CompressionType: 'None',
      RecordWrapperType: 'None',
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: c.s3Uri, S3DataDistributionType: 'FullyReplicated' } },
    })),
    OutputDataConfig: { S3OutputPath: spec.outputPath, ...withKey('KmsKeyId', controls.outputKmsKeyId) },
    ResourceConfig: {
      InstanceType: spec.resources.instanceType as TrainingInstanceType,
      InstanceCount: spec.resources.instanceCount,
      VolumeSizeInGB: ctx.volumeSizeGb,
      ...withKey('VolumeKmsKeyId', controls.volumeKmsKeyId),
    },
    StoppingCondition: { MaxRuntimeInSeconds: spec.maxRuntimeSeconds },
    ...withVpc(controls),
    ...(controls.networkIsolation ? { EnableNetworkIsolation: true } : {}),
    ...(controls.interContainerEncryption ? { EnableInterContainerTrafficEncryption: true } : {}),
    Tags: jobTags(ctx, spec.tags),
  };
}

export function processingJobRequest(spec: ProcessingJobSpec, ctx: JobRequestContext): CreateProcessingJobCommandInput {
  checkInstanceType('processing', spec.resources.instanceType, `processing job ${spec.jobName}: resources.instanceType`);
  const { controls } = ctx;
  const vpc = withVpc(controls).VpcConfig;
  const network = {
    ...(vpc ? { VpcConfig: vpc } : {}),
    ...(controls.networkIsolation ? { EnableNetworkIsolation: true } : {}),
    ...(controls.interContainerEncryption ? { EnableInterContainerTrafficEncryption: true } : {}),
  };
  return {
    ProcessingJobName: spec.jobName,
    RoleArn: ctx.roleArn,
    AppSpecification: {
      ImageUri: ctx.images[spec.image],
      ContainerEntrypoint: ['python3', '-m', PROCESSING_MODULES[spec.image]],
      ContainerArguments: spec.arguments.length ? spec.arguments : undefined,
    },
    Environment: spec.environment,
    ProcessingInputs: spec.inputs.map((i) => ({
      InputName: i.name,
      S3Input: { S3Uri: i.s3Uri, LocalPath: i.localPath, S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' },
    })),
    ProcessingOutputConfig: {
      Outputs: spec.outputs.map((o) => ({ OutputName: o.name, S3Output: { S3Uri: o.s3Uri, LocalPath: o.localPath, S3UploadMode: 'EndOfJob' } })),
      ...withKey('KmsKeyId', controls.outputKmsKeyId),
    },
    ProcessingResources: {
      ClusterConfig: {
        InstanceType: spec.resources.instanceType as ProcessingInstanceType,
        InstanceCount: spec.resources.instanceCount,
        VolumeSizeInGB: ctx.volumeSizeGb,
        ...withKey('VolumeKmsKeyId', controls.volumeKmsKeyId),
      },
    },
    StoppingCondition: { MaxRuntimeInSeconds: spec.maxRuntimeSeconds },
    ...(Object.keys(network).length ? { NetworkConfig: network } : {}),
    Tags: jobTags(ctx, { 'mlops:image': spec.image }),
  };
}

/**
 * Linear Learner's serving container answers JSON, JSON Lines or RecordIO, never CSV, and a CSV
 * join (JoinSource Input on text/csv input) produces CSV: the transform cannot put its answer
 * into the joined line. Such a transform is sent without the join (JoinSource None, JSON Lines,
 * the same InputFilter, no OutputFilter) to a side prefix, and the backend joins each answer to
 * its input line afterwards and applies the OutputFilter (transform-join.ts), so the requested
 * output prefix gets what a CSV join would have written. See docs/decisions/0016-linear-learner-batch-join.md.
 */
export interface TransformJoinPlan {
  /** Where the requested output goes (the spec's S3OutputPath). */
  outputPath: string;
  /** Where the transform writes its un-joined answers. */
  rawPath: string;
  inputPrefix: string;
  inputFilter: string;
  outputFilter: string;
  generateInferenceId: boolean;
}

export const RAW_SUFFIX = '.unjoined/';
export const JOIN_PLAN = '_mlops-join-plan.json';

export function needsBackendJoin(spec: TransformJobSpec, images: AwsImages): boolean {
  const builtIn = builtInContract(spec.image, algorithmImageUri(images, spec.image));
  return builtIn !== undefined && !builtIn.accepts.includes('text/csv') && spec.dataProcessing.joinSource === 'Input' && spec.input.contentType === 'text/csv';
}

export function transformJoinPlan(spec: TransformJobSpec): TransformJoinPlan {
  const outputPath = spec.output.s3OutputPath.replace(/\/?$/, '/');
  return {
    outputPath,
    rawPath: outputPath.replace(/\/$/, RAW_SUFFIX),
    inputPrefix: spec.input.s3Uri,
    inputFilter: spec.dataProcessing.inputFilter,
    outputFilter: spec.dataProcessing.outputFilter,
    generateInferenceId: spec.dataCapture?.generateInferenceId ?? false,
  };
}

export function transformJobRequest(spec: TransformJobSpec, ctx: JobRequestContext): CreateTransformJobCommandInput {
  checkInstanceType('transform', spec.resources.instanceType, `transform job ${spec.jobName}: resources.instanceType`);
  const builtIn = builtInContract(spec.image, algorithmImageUri(ctx.images, spec.image));
  const { controls } = ctx;
  const join = needsBackendJoin(spec, ctx.images);
  // Linear Learner answers JSON only: its rows come back as `{"score": v}`.
  const accept = builtIn && !builtIn.accepts.includes(spec.output.accept) ? builtIn.accepts[0]! : spec.output.accept;
  const dataProcessing = join
    ? { InputFilter: spec.dataProcessing.inputFilter, JoinSource: 'None' as const, OutputFilter: '$' }
    : { InputFilter: spec.dataProcessing.inputFilter, JoinSource: spec.dataProcessing.joinSource, OutputFilter: spec.dataProcessing.outputFilter };
  return {
    TransformJobName: spec.jobName,
    ModelName: spec.jobName,
    BatchStrategy: spec.input.splitType === 'Line' ? 'MultiRecord' : 'SingleRecord',
    TransformInput: {
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: spec.input.s3Uri } },
      ContentType: spec.input.contentType,
      SplitType: spec.input.splitType,
      CompressionType: 'None',
    },
    TransformOutput: {
      S3OutputPath: join ? transformJoinPlan(spec).rawPath : spec.output.s3OutputPath,
      Accept: accept,
      AssembleWith: spec.output.assembleWith,
      ...withKey('KmsKeyId', controls.outputKmsKeyId),
    },
    DataProcessing: dataProcessing,
    ...(spec.dataCapture
      ? { DataCaptureConfig: { DestinationS3Uri: spec.dataCapture.destinationS3Uri, GenerateInferenceId: spec.dataCapture.generateInferenceId, ...withKey('KmsKeyId', controls.outputKmsKeyId) } }
      : {}),
    TransformResources: {
      InstanceType: spec.resources.instanceType as TransformInstanceType,
      InstanceCount: spec.resources.instanceCount,
      ...withKey('VolumeKmsKeyId', controls.volumeKmsKeyId),
    },
    ModelClientConfig: { InvocationsTimeoutInSeconds: Math.min(3600, Math.max(1, spec.maxRuntimeSeconds)), InvocationsMaxRetries: 1 },
    Tags: jobTags(ctx, { 'mlops:image': imageLabel(spec.image) }),
  };
}

/** CreateModel of an artifact with its algorithm's serving image (transform jobs and endpoints). */
export function modelRequest(modelName: string, image: AlgorithmImage, artifactUri: string, ctx: Omit<JobRequestContext, 'volumeSizeGb'>): CreateModelCommandInput {
  const { controls } = ctx;
  return {
    ModelName: modelName,
    ExecutionRoleArn: ctx.roleArn,
    PrimaryContainer: { Image: algorithmImageUri(ctx.images, image), ModelDataUrl: artifactUri, Mode: 'SingleModel' },
    ...withVpc(controls),
    ...(controls.networkIsolation ? { EnableNetworkIsolation: true } : {}),
    Tags: tagList(controls, { 'mlops:image': imageLabel(image) }),
  };
}
