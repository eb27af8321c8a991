import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { modelArtifactUri } from '../../../common/artifacts';
import { mapWithLimit } from '../files';
import { CONTAINER_BASE_DIR, trainingPaths } from '../../../common/container-contract';
import { toLocalPath } from './container-mount';
import type { JobRecord } from './job-record';
import { jobLogFile } from './job-process';
import { transformPaths } from './job-staging';
import type { LocalObjectStore } from './object-store';

/**
 * What a finished job leaves behind, as SageMaker would publish it: the model archive of a training
 * job, the output dirs of a processing job, the `.out` and capture files of a transform; or, for a
 * failed job, its reason. Sets the outputs on `record.description`.
 */
export async function collectOutputs(store: LocalObjectStore, record: JobRecord, base: string, dir: string): Promise<void> {
  if (record.spec.kind === 'training') {
    const spec = record.spec.training;
    const modelDir = trainingPaths(base).modelDir;
    const archive = path.join(dir, 'model.tar.gz');
    const files = (await fs.readdir(modelDir)).filter((f) => !f.startsWith('.'));
    if (files.length === 0) throw new Error(`the algorithm wrote nothing to ${trainingPaths(CONTAINER_BASE_DIR).modelDir}`);
    await tar.create({ gzip: true, file: archive, cwd: modelDir, portable: true }, files);
    const uri = modelArtifactUri(spec.outputPath, spec.jobName);
    await store.putFile(uri, archive, { contentType: 'application/x-gzip' });
    record.description.modelArtifactUri = uri;
    return;
  }
  if (record.spec.kind === 'transform') {
    const spec = record.spec.transform;
    const paths = transformPaths(base);
    const capture = spec.dataCapture;
    const uploads: [string, string][] = [[paths.outputDir, spec.output.s3OutputPath], ...(capture ? ([[paths.captureDir, capture.destinationS3Uri]] as [string, string][]) : [])];
    const written = (await mapWithLimit(uploads, uploads.length, ([dir, prefix]) => store.uploadDir(dir, prefix))).flat();
    const outputs: Record<string, string> = { output: spec.output.s3OutputPath };
    if (capture) outputs.capture = capture.destinationS3Uri;
    record.description.outputs = outputs;
    record.description.outputObjects = written;
    return;
  }
  const outputs: Record<string, string> = {};
  const specs = record.spec.processing.outputs.map((output) => ({ ...output, dir: toLocalPath(base, output.localPath) }));
  // Side by side; when several fail, the first output's error is the one reported.
  await mapWithLimit(specs, specs.length, (output) => store.uploadDir(output.dir, output.s3Uri));
  for (const output of specs) outputs[output.name] = output.s3Uri;
  record.description.outputs = outputs;
}

/** A failed job's reason: the failure (training) or message (processing) file, else the log's tail. */
export async function failureReasonOf(record: JobRecord, base: string, dir: string, exitCode: number): Promise<string> {
  const paths = trainingPaths(base);
  const file = record.spec.kind === 'training' ? paths.failureFile : paths.messageFile;
  const written = await fs.readFile(file, 'utf8').then((t) => t.trim(), () => '');
  if (written) return written;
  const log = await fs.readFile(jobLogFile(dir), 'utf8').catch(() => '');
  const tail = log.trim().split('\n').slice(-3).join(' | ');
  return `AlgorithmError: the process exited with code ${exitCode}${tail ? `: ${tail}` : ''}`;
}
