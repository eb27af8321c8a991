/**
 * SageMaker's container contract as the orchestrator writes it into job specs: where a job finds its
 * inputs and leaves its outputs inside its container. The TypeScript side of
 * `algorithms/mlops_algorithms/contract.py` (the same layout below the same base, the same
 * failure-reason limit; a unit test compares the two), so specs name container paths through these
 * helpers and never as literals. Pure strings: the local backend maps them into a job's own dir.
 */

/** The container root (contract.py DEFAULT_BASE_DIR); locally relocated through SAGEMAKER_BASE_DIR. */
export const CONTAINER_BASE_DIR = '/opt/ml';

/** SageMaker keeps the first 1024 characters of the failure file as FailureReason (contract.py MAX_REASON_CHARS). */
export const MAX_FAILURE_REASON_CHARS = 1024;

/** Where a processing job's inputs and outputs are mounted (SageMaker's convention for ProcessingInput/Output). */
export const PROCESSING_DIR = `${CONTAINER_BASE_DIR}/processing`;

/** A channel, input or file name becomes one path segment: letters, digits, `.`, `_`, `-`, not starting with a dot. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/;

function segment(name: string, what: string): string {
  if (!SEGMENT.test(name)) throw new Error(`invalid ${what} '${name}': use letters, digits, '.', '_' and '-', not starting with '.'`);
  return name;
}

/** The training-container layout below `base` (contract.py TrainingPaths). */
export interface TrainingPaths {
  base: string;
  configDir: string;
  dataDir: string;
  modelDir: string;
  outputDir: string;
  /** Extra output the job leaves beside the model (SageMaker's output.tar.gz). */
  outputDataDir: string;
  /** Written by a failed training job: its FailureReason. */
  failureFile: string;
  /** Written by a processing job: `Completed: ...` or its failure reason. */
  messageFile: string;
  channelDir(channel: string): string;
}

export function trainingPaths(base: string = CONTAINER_BASE_DIR): TrainingPaths {
  return {
    base,
    configDir: `${base}/input/config`,
    dataDir: `${base}/input/data`,
    modelDir: `${base}/model`,
    outputDir: `${base}/output`,
    outputDataDir: `${base}/output/data`,
    failureFile: `${base}/output/failure`,
    messageFile: `${base}/output/message`,
    channelDir: (channel) => `${base}/input/data/${segment(channel, 'channel name')}`,
  };
}

/** The dir a processing input named `name` is mounted at: `/opt/ml/processing/input/<name>`. */
export function processingInputDir(name: string): string {
  return `${PROCESSING_DIR}/input/${segment(name, 'input name')}`;
}

/** A file of the input `name` (an input of one object keeps the object's own name). */
export function processingInputFile(name: string, file: string): string {
  return `${processingInputDir(name)}/${segment(file, 'file name')}`;
}

/** The dir of the output `name`, or the output root (a job whose one output is everything it writes). */
export function processingOutputDir(name?: string): string {
  return name === undefined ? `${PROCESSING_DIR}/output` : `${PROCESSING_DIR}/output/${segment(name, 'output name')}`;
}

/** A ProcessingInput: the S3 object or prefix mounted at the input's own dir. */
export function processingInput(name: string, s3Uri: string): { name: string; s3Uri: string; localPath: string } {
  return { name, s3Uri, localPath: processingInputDir(name) };
}

/** A ProcessingOutput: a container dir (the output's own dir unless given) uploaded under an S3 prefix. */
export function processingOutput(name: string, s3Uri: string, localPath: string = processingOutputDir(name)): { name: string; s3Uri: string; localPath: string } {
  return { name, s3Uri, localPath };
}
