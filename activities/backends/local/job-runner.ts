import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { modelArtifactUri } from '../../../common/artifacts';
import type { FinalMetric } from '../../../common/types/jobs';
import { MissingInputError } from '../errors';
import type { JobDescription, JobKind, JobRunner, ProcessingJobSpec, TrainingJobSpec, TransformJobSpec } from '../types';
import { LOCAL_IMAGES } from './algorithm-images';
import { isNotFound, isProcessAlive, readJsonFile, withFileLock, writeFileAtomic } from './fs-utils';
import { scanMetrics } from './metrics-scanner';
import { ObjectNotFoundError, type LocalObjectStore } from './object-store';

/** The persisted record of one local job: `<jobs>/<kind>/<name>/job.json`. */
interface JobRecord {
  description: JobDescription;
  spec: { kind: 'training'; training: TrainingJobSpec } | { kind: 'processing'; processing: ProcessingJobSpec } | { kind: 'transform'; transform: TransformJobSpec };
  pid?: number;
}

export interface LocalJobRunnerOptions {
  /** `<home>/jobs` */
  jobsRoot: string;
  python: string;
  /** Dir put on PYTHONPATH (the repo's `algorithms/`). */
  algorithmsDir: string;
  objectStore: LocalObjectStore;
}

const CONTAINER_ROOT = '/opt/ml/';
const FAILURE_REASON_LIMIT = 1024;

/**
 * Runs SageMaker-style jobs as local processes. Each job lives in its own dir with a container-like
 * `/opt/ml` tree; the process runs detached (its own session) under a tiny shell that records the
 * exit code, so a job outlives the worker that started it and any later caller can finish its
 * bookkeeping. Names are unique: starting a job whose name exists adopts it.
 */
export class LocalJobRunner implements JobRunner {
  constructor(private readonly options: LocalJobRunnerOptions) {}

  jobDir(kind: JobKind, jobName: string): string {
    if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(jobName)) throw new Error(`invalid job name '${jobName}'`);
    return path.join(this.options.jobsRoot, kind, jobName);
  }

  async startTrainingJob(spec: TrainingJobSpec): Promise<{ alreadyExisted: boolean }> {
    return this.start('training', spec.jobName, { kind: 'training', training: spec }, spec.resources, async (base) => {
      const config = path.join(base, 'input', 'config');
      await fs.mkdir(config, { recursive: true });
      await fs.writeFile(path.join(config, 'hyperparameters.json'), JSON.stringify(spec.hyperparameters));
      const dataConfig: Record<string, unknown> = {};
      for (const channel of spec.channels) {
        dataConfig[channel.name] = {
          ContentType: channel.contentType,
          TrainingInputMode: 'File',
          S3DistributionType: 'FullyReplicated',
          RecordWrapperType: 'None',
        };
        const count = await this.options.objectStore.downloadPrefix(channel.s3Uri, path.join(base, 'input', 'data', channel.name));
        if (count === 0) throw new JobInputError(`channel '${channel.name}': no objects under ${channel.s3Uri}`);
      }
      await fs.writeFile(path.join(config, 'inputdataconfig.json'), JSON.stringify(dataConfig));
      await fs.writeFile(path.join(config, 'resourceconfig.json'), JSON.stringify(resourceConfig(spec.resources)));
      await fs.mkdir(path.join(base, 'model'), { recursive: true });
      await fs.mkdir(path.join(base, 'output', 'data'), { recursive: true });
    });
  }

  async startProcessingJob(spec: ProcessingJobSpec): Promise<{ alreadyExisted: boolean }> {
    return this.start('processing', spec.jobName, { kind: 'processing', processing: spec }, spec.resources, async (base) => {
      await fs.mkdir(path.join(base, 'output'), { recursive: true });
      await fs.mkdir(path.join(base, 'input', 'config'), { recursive: true });
      await fs.writeFile(path.join(base, 'input', 'config', 'resourceconfig.json'), JSON.stringify(resourceConfig(spec.resources)));
      for (const input of spec.inputs) {
        const target = toLocalPath(base, input.localPath);
        const count = input.s3Uri.endsWith('/')
          ? await this.options.objectStore.downloadPrefix(input.s3Uri, target)
          : await this.options.objectStore.download(input.s3Uri, path.join(target, path.posix.basename(input.s3Uri))).then(
              () => 1,
              (err: Error) => {
                throw err instanceof ObjectNotFoundError ? new JobInputError(`input '${input.name}': ${err.message}`) : err;
              },
            );
        if (count === 0) throw new JobInputError(`input '${input.name}': no objects under ${input.s3Uri}`);
      }
      for (const output of spec.outputs) await fs.mkdir(toLocalPath(base, output.localPath), { recursive: true });
    });
  }

  async startTransformJob(spec: TransformJobSpec): Promise<{ alreadyExisted: boolean }> {
    return this.start('transform', spec.jobName, { kind: 'transform', transform: spec }, spec.resources, async (base) => {
      await fs.mkdir(path.join(base, 'output'), { recursive: true });
      await this.options.objectStore.download(spec.modelArtifactUri, path.join(base, 'model', 'model.tar.gz')).catch((err: Error) => {
        throw err instanceof ObjectNotFoundError ? new JobInputError(`model: ${err.message}`) : err;
      });
      const count = await this.options.objectStore.downloadPrefix(spec.input.s3Uri, path.join(base, 'transform', 'input'));
      if (count === 0) throw new JobInputError(`input: no objects under ${spec.input.s3Uri}`);
      await fs.mkdir(path.join(base, 'transform', 'output'), { recursive: true });
      if (spec.dataCapture) {
        await fs.mkdir(path.join(base, 'transform', 'capture'), { recursive: true });
        await this.options.objectStore.download(spec.dataCapture.featureSchemaUri, path.join(base, 'transform', 'schema', 'feature-schema.json')).catch((err: Error) => {
          throw err instanceof ObjectNotFoundError ? new JobInputError(`feature schema: ${err.message}`) : err;
        });
      }
    });
  }

  async describeJob(kind: JobKind, jobName: string): Promise<JobDescription | undefined> {
    const dir = this.jobDir(kind, jobName);
    const record = await readJsonFile<JobRecord>(path.join(dir, 'job.json'));
    if (!record) return undefined;
    if (record.description.status !== 'InProgress') return record.description;
    if (await exists(path.join(dir, 'exit_code'))) return this.finalize(dir);
    if (record.pid !== undefined && !isProcessAlive(record.pid)) {
      // The shell writes exit_code before it exits; look once more to avoid a race.
      if (await exists(path.join(dir, 'exit_code'))) return this.finalize(dir);
      return this.update(dir, (r) => {
        r.description.status = 'Failed';
        r.description.secondaryStatus = 'Failed';
        r.description.failureReason = 'InternalServerError: the job process ended without reporting an exit status';
        r.description.endTime = new Date().toISOString();
      });
    }
    const maxRuntime = maxRuntimeOf(record);
    if (record.description.startTime && Date.now() - Date.parse(record.description.startTime) > maxRuntime * 1000) {
      await this.stopJob(kind, jobName, `MaxRuntimeExceeded: the job ran longer than ${maxRuntime} s`);
      return (await readJsonFile<JobRecord>(path.join(dir, 'job.json')))?.description;
    }
    return record.description;
  }

  async stopJob(kind: JobKind, jobName: string, reason = 'Stopped by request'): Promise<void> {
    const dir = this.jobDir(kind, jobName);
    const record = await readJsonFile<JobRecord>(path.join(dir, 'job.json'));
    if (!record || record.description.status !== 'InProgress') return;
    // A process that already exited has an outcome to record; stopping it now would discard it.
    if (await exists(path.join(dir, 'exit_code'))) {
      await this.finalize(dir);
      return;
    }
    if (record.pid !== undefined && isProcessAlive(record.pid)) {
      try {
        process.kill(-record.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    await this.update(dir, (r) => {
      if (r.description.status !== 'InProgress') return; // finalized meanwhile by a describeJob
      r.description.status = 'Stopped';
      r.description.secondaryStatus = reason.startsWith('MaxRuntimeExceeded') ? 'MaxRuntimeExceeded' : 'Stopped';
      r.description.failureReason = reason;
      r.description.endTime = new Date().toISOString();
    });
  }

  private async start(
    kind: JobKind,
    jobName: string,
    spec: JobRecord['spec'],
    resources: JobDescription['resources'],
    stage: (containerBase: string) => Promise<void>,
  ): Promise<{ alreadyExisted: boolean }> {
    const dir = this.jobDir(kind, jobName);
    if (await exists(path.join(dir, 'job.json'))) {
      await this.ensureSpawned(dir);
      return { alreadyExisted: true };
    }
    // Stage everything in a private dir, then rename it into place: the rename is the commit
    // point, so two concurrent attempts cannot both create the job.
    const staging = path.join(this.options.jobsRoot, '.staging', `${jobName}-${randomUUID()}`);
    await fs.mkdir(staging, { recursive: true });
    try {
      const record: JobRecord = {
        description: {
          jobName,
          kind,
          status: 'InProgress',
          secondaryStatus: 'Starting',
          creationTime: new Date().toISOString(),
          resources,
          finalMetrics: [],
        },
        spec,
      };
      await stage(path.join(staging, 'opt', 'ml'));
      await fs.writeFile(path.join(staging, 'job.json'), JSON.stringify(record, null, 2));
      await fs.mkdir(path.dirname(dir), { recursive: true });
      try {
        await fs.rename(staging, dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' || code === 'ENOTEMPTY') {
          await this.ensureSpawned(dir);
          return { alreadyExisted: true };
        }
        throw err;
      }
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
    await this.ensureSpawned(dir);
    return { alreadyExisted: false };
  }

  /** Spawns the job's process unless an earlier attempt did; safe to call concurrently. */
  private async ensureSpawned(dir: string): Promise<void> {
    await withFileLock(path.join(dir, 'job.lock'), async () => {
      const record = await readJsonFile<JobRecord>(path.join(dir, 'job.json'));
      if (!record || record.pid !== undefined || record.description.status !== 'InProgress') return;
      const base = path.join(dir, 'opt', 'ml');
      const { command, env } = this.commandOf(record, base);
      // The shell records the exit code atomically; it runs in its own session so that it
      // survives the worker (and a Ctrl-C in the worker's terminal).
      const script = '"$@" >"$MLOPS_JOB_DIR/logs.txt" 2>&1; code=$?; echo $code >"$MLOPS_JOB_DIR/exit_code.tmp" && mv "$MLOPS_JOB_DIR/exit_code.tmp" "$MLOPS_JOB_DIR/exit_code"';
      const child = spawn('/bin/sh', ['-c', script, 'mlops-job', ...command], {
        cwd: dir,
        detached: true,
        stdio: 'ignore',
        env: { ...env, MLOPS_JOB_DIR: dir },
      });
      child.unref();
      if (child.pid === undefined) throw new Error(`could not start job process for ${record.description.jobName}`);
      record.pid = child.pid;
      record.description.startTime = new Date().toISOString();
      record.description.secondaryStatus = { training: 'Training', processing: 'Processing', transform: 'Transforming' }[record.description.kind];
      await writeFileAtomic(path.join(dir, 'job.json'), JSON.stringify(record, null, 2));
    });
  }

  private commandOf(record: JobRecord, base: string): { command: string[]; env: NodeJS.ProcessEnv } {
    const common: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: process.env.LANG ?? 'C.UTF-8',
      PYTHONPATH: this.options.algorithmsDir,
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
      SAGEMAKER_BASE_DIR: base,
      ...(process.env.OPENBLAS_CORETYPE ? { OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE } : {}),
      ...(process.env.OPENBLAS_L2_SIZE ? { OPENBLAS_L2_SIZE: process.env.OPENBLAS_L2_SIZE } : {}),
      OMP_NUM_THREADS: String(Math.max(1, record.description.resources.instanceCount)),
    };
    if (record.spec.kind === 'training') {
      const spec = record.spec.training;
      const image = LOCAL_IMAGES[spec.image];
      return {
        command: [this.options.python, '-m', image.module, image.trainArgument ?? 'train'],
        env: { ...common, TRAINING_JOB_NAME: spec.jobName, TRAINING_JOB_ARN: localArn('training-job', spec.jobName) },
      };
    }
    if (record.spec.kind === 'transform') {
      const spec = record.spec.transform;
      const t = path.join(base, 'transform');
      return {
        command: [this.options.python, '-m', 'mlops_algorithms.transform'],
        env: {
          ...common,
          TRANSFORM_JOB_NAME: spec.jobName,
          model_dir: path.join(base, 'model'),
          input_dir: path.join(t, 'input'),
          output_dir: path.join(t, 'output'),
          content_type: spec.input.contentType,
          split_type: spec.input.splitType,
          accept: spec.output.accept,
          assemble_with: spec.output.assembleWith,
          input_filter: spec.dataProcessing.inputFilter,
          join_source: spec.dataProcessing.joinSource,
          output_filter: spec.dataProcessing.outputFilter,
          job_start_time: record.description.creationTime.replace(/\.\d{3}Z$/, 'Z'),
          generate_inference_id: String(spec.dataCapture?.generateInferenceId ?? false),
          ...(spec.dataCapture ? { capture_dir: path.join(t, 'capture'), feature_schema: path.join(t, 'schema', 'feature-schema.json') } : {}),
        },
      };
    }
    const spec = record.spec.processing;
    const image = LOCAL_IMAGES[spec.image];
    const environment = Object.fromEntries(Object.entries(spec.environment).map(([k, v]) => [k, rewriteContainerPaths(base, v)]));
    return {
      command: [this.options.python, '-m', image.module, ...spec.arguments.map((a) => rewriteContainerPaths(base, a))],
      env: { ...common, ...environment, PROCESSING_JOB_NAME: spec.jobName, PROCESSING_JOB_ARN: localArn('processing-job', spec.jobName) },
    };
  }

  /** Turns a finished process into a Completed or Failed job: uploads outputs, reads metrics. */
  private async finalize(dir: string): Promise<JobDescription> {
    // Uploading outputs can take a while for big jobs: the lock's lease is renewed while it runs.
    return withFileLock(path.join(dir, 'job.lock'), async () => {
      const record = (await readJsonFile<JobRecord>(path.join(dir, 'job.json')))!;
      if (record.description.status !== 'InProgress') return record.description;
      const exitFile = path.join(dir, 'exit_code');
      const exitCode = Number((await fs.readFile(exitFile, 'utf8')).trim());
      const endTime = (await fs.stat(exitFile)).mtime.toISOString();
      const base = path.join(dir, 'opt', 'ml');
      const d = record.description;
      d.endTime = endTime;
      if (exitCode === 0) {
        try {
          await this.collectOutputs(record, base, dir);
          d.status = 'Completed';
          d.secondaryStatus = 'Completed';
        } catch (err) {
          d.status = 'Failed';
          d.secondaryStatus = 'Failed';
          d.failureReason = `ClientError: uploading the job's output failed: ${(err as Error).message}`.slice(0, FAILURE_REASON_LIMIT);
        }
      } else {
        d.status = 'Failed';
        d.secondaryStatus = 'Failed';
        d.failureReason = (await failureReasonOf(record, base, dir, exitCode)).slice(0, FAILURE_REASON_LIMIT);
      }
      if (record.spec.kind === 'training') {
        d.finalMetrics = await scanMetrics(path.join(dir, 'logs.txt'), record.spec.training.metricDefinitions).catch((): FinalMetric[] => []);
      }
      await writeFileAtomic(path.join(dir, 'job.json'), JSON.stringify(record, null, 2));
      return d;
    });
  }

  private async collectOutputs(record: JobRecord, base: string, dir: string): Promise<void> {
    const store = this.options.objectStore;
    if (record.spec.kind === 'training') {
      const spec = record.spec.training;
      const archive = path.join(dir, 'model.tar.gz');
      const files = (await fs.readdir(path.join(base, 'model'))).filter((f) => !f.startsWith('.'));
      if (files.length === 0) throw new Error('the algorithm wrote nothing to /opt/ml/model');
      await tar.create({ gzip: true, file: archive, cwd: path.join(base, 'model'), portable: true }, files);
      const uri = modelArtifactUri(spec.outputPath, spec.jobName);
      await store.putFile(uri, archive, { contentType: 'application/x-gzip' });
      record.description.modelArtifactUri = uri;
      return;
    }
    if (record.spec.kind === 'transform') {
      const spec = record.spec.transform;
      const written = await store.uploadDir(path.join(base, 'transform', 'output'), spec.output.s3OutputPath);
      const outputs: Record<string, string> = { output: spec.output.s3OutputPath };
      if (spec.dataCapture) {
        written.push(...(await store.uploadDir(path.join(base, 'transform', 'capture'), spec.dataCapture.destinationS3Uri)));
        outputs.capture = spec.dataCapture.destinationS3Uri;
      }
      record.description.outputs = outputs;
      record.description.outputObjects = written;
      return;
    }
    const outputs: Record<string, string> = {};
    for (const output of record.spec.processing.outputs) {
      await store.uploadDir(toLocalPath(base, output.localPath), output.s3Uri);
      outputs[output.name] = output.s3Uri;
    }
    record.description.outputs = outputs;
  }

  private async update(dir: string, change: (record: JobRecord) => void): Promise<JobDescription> {
    return withFileLock(path.join(dir, 'job.lock'), async () => {
      const record = (await readJsonFile<JobRecord>(path.join(dir, 'job.json')))!;
      change(record);
      await writeFileAtomic(path.join(dir, 'job.json'), JSON.stringify(record, null, 2));
      return record.description;
    });
  }
}

/** Input staging failed because the referenced data is missing: the caller's mistake. */
export class JobInputError extends MissingInputError {
  constructor(message: string) {
    super(message);
    this.name = 'JobInputError';
  }
}

async function failureReasonOf(record: JobRecord, base: string, dir: string, exitCode: number): Promise<string> {
  const file = record.spec.kind === 'training' ? path.join(base, 'output', 'failure') : path.join(base, 'output', 'message');
  const written = await fs.readFile(file, 'utf8').then((t) => t.trim(), () => '');
  if (written) return written;
  const log = await fs.readFile(path.join(dir, 'logs.txt'), 'utf8').catch(() => '');
  const tail = log.trim().split('\n').slice(-3).join(' | ');
  return `AlgorithmError: the process exited with code ${exitCode}${tail ? `: ${tail}` : ''}`;
}

function maxRuntimeOf(record: JobRecord): number {
  switch (record.spec.kind) {
    case 'training':
      return record.spec.training.maxRuntimeSeconds;
    case 'processing':
      return record.spec.processing.maxRuntimeSeconds;
    case 'transform':
      return record.spec.transform.maxRuntimeSeconds;
  }
}

function resourceConfig(resources: { instanceType: string; instanceCount: number }) {
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

/** Maps a container path (`/opt/ml/...`) into the job's own tree, as a bind mount would. */
function toLocalPath(base: string, containerPath: string): string {
  if (!containerPath.startsWith(CONTAINER_ROOT)) throw new Error(`container path '${containerPath}' must be under ${CONTAINER_ROOT}`);
  const resolved = path.join(base, containerPath.slice(CONTAINER_ROOT.length));
  if (!resolved.startsWith(base + path.sep)) throw new Error(`container path '${containerPath}' escapes /opt/ml`);
  return resolved;
}

function rewriteContainerPaths(base: string, value: string): string {
  return value.split(CONTAINER_ROOT).join(`${base}/`);
}

function localArn(kind: string, name: string): string {
  return `arn:mlops:local:000000000000:${kind}/${name.toLowerCase()}`;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
