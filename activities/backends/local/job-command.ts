import path from 'node:path';
import { byoCommand, LOCAL_IMAGES } from './algorithm-images';
import { rewriteContainerPaths } from './container-mount';
import type { JobRecord } from './job-record';
import { transformPaths } from './job-staging';
import { CPU_PRIORITY_NICENESS, type CpuPriority } from '../types';
import { forkServerEnv, pythonEnvironment, viaForkServer, type ForkServerRef } from './python-fork-server';

export interface JobCommandOptions {
  python: string;
  /** Dir put on PYTHONPATH (the repo's `algorithms/`). */
  algorithmsDir: string;
  /** Start Python processes as forks of the warm fork server (default true; decision 0024). */
  forkServer?: boolean;
}

/**
 * What the container would run: the image's module under the job's Python, with the environment
 * SageMaker gives the container (job name and ARN, container paths rewritten into the job's own
 * `/opt/ml` tree). Nothing of the worker's environment leaks in beyond what Python needs.
 */
export function jobCommand(record: JobRecord, base: string, options: JobCommandOptions, server?: ForkServerRef, machine: MachineState = {}): { command: string[]; env: NodeJS.ProcessEnv } {
  const built = containerCommand(record, base, options, server);
  const command = viaForkServer(built.command, options.python, server);
  const priority = cpuPriorityOf(record, machine);
  return { command: priority ? ['nice', '-n', String(CPU_PRIORITY_NICENESS[priority]), ...command] : command, env: { ...built.env, ...forkServerEnv(server) } };
}

/** What the runner knows of the machine when it starts a job. */
export interface MachineState {
  /** Whether a training job it started is still running. */
  trainingRunning?: boolean;
}

/**
 * The priority the job's process runs at. A `follow-up` job yields to trainings that still run;
 * with none running it is the run's critical path (the last model's scoring and baseline) and
 * yielding would only hand the CPUs to the worker and Temporal, so it runs at the normal priority.
 */
export function cpuPriorityOf(record: JobRecord, machine: MachineState): CpuPriority | undefined {
  const asked = record.spec.kind === 'processing' ? record.spec.processing.cpuPriority : record.spec.kind === 'transform' ? record.spec.transform.cpuPriority : undefined;
  return asked === 'follow-up' && !machine.trainingRunning ? undefined : asked;
}

function containerCommand(record: JobRecord, base: string, options: JobCommandOptions, server: ForkServerRef | undefined): { command: string[]; env: NodeJS.ProcessEnv } {
  const common: NodeJS.ProcessEnv = {
    ...pythonEnvironment(options.algorithmsDir),
    SAGEMAKER_BASE_DIR: base,
    OMP_NUM_THREADS: String(Math.max(1, record.description.resources.instanceCount)),
  };
  const repoRoot = path.dirname(options.algorithmsDir);
  if (record.spec.kind === 'training' && typeof record.spec.training.image !== 'string') {
    // A bring-your-own container's training entry point, in its own directory, with the
    // container's layout relocated to the job's `/opt/ml` (SAGEMAKER_BASE_DIR) and the training
    // toolkit's SM_* variables.
    const spec = record.spec.training;
    const byo = byoCommand(record.spec.training.image.byo, { python: options.python, repoRoot }, 'train');
    return {
      command: inDirectory(byo.cwd, viaForkServer(byo.command, options.python, server)),
      env: {
        ...common,
        ...testHold(),
        TRAINING_JOB_NAME: spec.jobName,
        TRAINING_JOB_ARN: localArn('training-job', spec.jobName),
        SM_MODEL_DIR: `${base}/model`,
        SM_OUTPUT_DATA_DIR: `${base}/output/data`,
        SM_INPUT_CONFIG_DIR: `${base}/input/config`,
        SM_CHANNELS: JSON.stringify(spec.channels.map((c) => c.name)),
        ...Object.fromEntries(spec.channels.map((c) => [`SM_CHANNEL_${c.name.toUpperCase()}`, `${base}/input/data/${c.name}`])),
      },
    };
  }
  if (record.spec.kind === 'training') {
    const spec = record.spec.training;
    const image = LOCAL_IMAGES[spec.image as Exclude<typeof spec.image, { byo: unknown }>];
    return {
      command: [options.python, '-m', image.module, image.trainArgument ?? 'train'],
      env: { ...common, ...testHold(), TRAINING_JOB_NAME: spec.jobName, TRAINING_JOB_ARN: localArn('training-job', spec.jobName) },
    };
  }
  if (record.spec.kind === 'transform') {
    const spec = record.spec.transform;
    const t = transformPaths(base);
    return {
      command: [options.python, '-m', 'mlops_algorithms.transform'],
      env: {
        ...common,
        TRANSFORM_JOB_NAME: spec.jobName,
        model_dir: t.modelDir,
        input_dir: t.inputDir,
        output_dir: t.outputDir,
        content_type: spec.input.contentType,
        split_type: spec.input.splitType,
        accept: spec.output.accept,
        assemble_with: spec.output.assembleWith,
        input_filter: spec.dataProcessing.inputFilter,
        join_source: spec.dataProcessing.joinSource,
        output_filter: spec.dataProcessing.outputFilter,
        job_start_time: record.description.creationTime.replace(/\.\d{3}Z$/, 'Z'),
        generate_inference_id: String(spec.dataCapture?.generateInferenceId ?? false),
        ...(spec.dataCapture ? { capture_dir: t.captureDir, feature_schema: t.featureSchema } : {}),
        ...(spec.featureSchemaUri ? { feature_schema: t.featureSchema } : {}),
        ...(typeof spec.image !== 'string' ? byoServing(spec.image.byo, { python: options.python, repoRoot }, server) : {}),
      },
    };
  }
  const spec = record.spec.processing;
  const image = LOCAL_IMAGES[spec.image];
  const environment = Object.fromEntries(Object.entries(spec.environment).map(([k, v]) => [k, rewriteContainerPaths(base, v)]));
  return {
    command: [options.python, '-m', image.module, ...spec.arguments.map((a) => rewriteContainerPaths(base, a))],
    env: { ...common, ...environment, PROCESSING_JOB_NAME: spec.jobName, PROCESSING_JOB_ARN: localArn('processing-job', spec.jobName) },
  };
}

/** A command run in `dir` (the job process itself starts in the job's own directory). */
function inDirectory(dir: string, command: string[]): string[] {
  return ['/bin/sh', '-c', 'cd "$1" && shift && exec "$@"', 'mlops-byo', dir, ...command];
}

/** How the local transform starts a bring-your-own model's serving container (transform/remote.py). */
function byoServing(byo: Parameters<typeof byoCommand>[0], options: { python: string; repoRoot: string }, server: ForkServerRef | undefined): NodeJS.ProcessEnv {
  const { command, cwd } = byoCommand(byo, options, 'serve');
  return { serve_command: JSON.stringify(viaForkServer(command.slice(0, -1), options.python, server)), serve_dir: cwd, accepts_missing: String(byo.acceptsMissing) };
}

function localArn(kind: string, name: string): string {
  return `arn:mlops:local:000000000000:${kind}/${name.toLowerCase()}`;
}

/**
 * Test only (test/integration/fault-tolerance.test.ts): a training job waits for the file named by
 * MLOPS_TEST_HOLD_TRAINING_UNTIL before it starts its work (algorithms/mlops_algorithms/contract.py),
 * so a fault always lands mid-job. Passed through from the worker's environment; never set in use.
 */
function testHold(): NodeJS.ProcessEnv {
  const file = process.env.MLOPS_TEST_HOLD_TRAINING_UNTIL;
  return file ? { MLOPS_TEST_HOLD_TRAINING_UNTIL: file } : {};
}
