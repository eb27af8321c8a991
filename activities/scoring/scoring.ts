import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { featureSchemaSchema } from '../../common/schemas/feature-schema';
import { readChampion } from '../registry/champion-store';
import { processingInput, processingInputDir, processingInputFile, processingOutput, processingOutputDir } from '../../common/container-contract';
import { ErrorType, invalidInput, notFound } from '../../common/errors';
import type { JobSummary, ResourceConfig } from '../../common/types/jobs';
import type { ModelFamily } from '../../common/types/model';
import { projectOf } from '../../common/project';
import type { DataProcessing, ScoringModel } from '../../common/types/scoring';
import { joinUri, parseS3Uri } from '../../common/uri';
import { algorithmImage, type Backend, type JobDescription } from '../backends/types';
import { currentExecution } from '../insights/execution';
import { writeInsightRows } from '../insights/parquet';
import { batchCaptureStatsOfFile } from '../insights/summaries';
import { runJobToCompletion, runProcessingJob } from '../shared/run-job';
import { deriveCaptureFile } from './derive-capture';

export interface ScoringPreprocessInput {
  jobName: string;
  dataUri: string;
  featureSchemaUri: string;
  /** Receives `features/<input file>`: the features, then the pass-through column(s), no header. */
  outputPrefix: string;
  /** The columns passed around the model (ScoringConfig.idColumns); absent: every non-feature column but the label. */
  idColumns?: string[];
  resources: ResourceConfig;
  maxRuntimeSeconds: number;
}

export interface ScoringPreprocessResult {
  featuresPrefix: string;
  /** Fields of each pre-processed record that reach the model (the first ones); the rest pass around it. */
  featureCount: number;
  job: JobSummary;
}

export interface BatchTransformInput {
  jobName: string;
  /** The project (absent: the demo project), recorded in the insights table. */
  project?: string;
  model: ScoringModel;
  inputPrefix: string;
  /** The scoring file the run was started for (recorded in the insights table). */
  sourceUri?: string;
  outputPath: string;
  dataProcessing: DataProcessing;
  capture: { destinationUri: string; generateInferenceId: boolean };
  resources: ResourceConfig;
  maxRuntimeSeconds: number;
}

/** The batch scoring pipeline's steps: find the models, pre-process, batch transform. */
export function createScoringActivities(backend: Backend, settings: { pollIntervalMs: number }) {
  /**
   * A scoring record per transform for the insights tables, from the captured predictions. It must
   * never fail a transform that succeeded: a problem here is logged and the record is skipped.
   */
  async function recordScoring(input: BatchTransformInput, description: JobDescription, outputUris: string[], captureUris: string[]) {
    const ctx = Context.current();
    const run = currentExecution();
    // The job's end, not the attempt's clock: a retry lands in the same dt= partition and file.
    const scoredAt = description.endTime ? new Date(description.endTime) : new Date();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-scoring-record-'));
    try {
      const rows = [];
      for (const captureUri of captureUris) {
        const local = path.join(dir, 'capture.csv');
        await backend.objectStore.download(captureUri, local);
        const stats = await batchCaptureStatsOfFile(local);
        ctx.heartbeat({ jobName: input.jobName, status: 'Completed', recording: captureUri });
        const name = captureUri.slice(captureUri.lastIndexOf('/') + 1).replace(/\.captured\.csv$/, '');
        rows.push({
          scored_at: scoredAt,
          project: projectOf(input.project),
          family: input.model.family,
          model_name: input.model.modelName,
          model_version: input.model.modelVersion,
          scoring_workflow_id: run.workflowId,
          scoring_run_id: run.runId,
          input_uri: input.sourceUri ?? joinUri(input.inputPrefix, name),
          output_uri: outputUris.find((u) => u.endsWith(`/${name}.out`)) ?? '',
          capture_uri: captureUri,
          records: stats.records,
          prediction_mean: stats.mean,
          prediction_min: stats.min,
          prediction_max: stats.max,
        });
      }
      await writeInsightRows(backend.objectStore, parseS3Uri(input.outputPath).bucket, 'scoring_records', input.jobName, rows);
    } catch (err) {
      ctx.log.warn('scoring record not written (the transform itself succeeded)', { jobName: input.jobName, error: err instanceof Error ? err.message : String(err) });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * SageMaker's batch capture is manifests only (which objects were read and written), so when the
   * job wrote no per-input `.captured.csv` (the aws backend) they are built here from each input
   * object and its `.out`. Like the scoring record, a problem here never fails the scoring that
   * succeeded: it is logged, and the affected file has no capture.
   */
  async function deriveCaptures(input: BatchTransformInput, outputUris: string[]): Promise<string[]> {
    const ctx = Context.current();
    const inputPrefix = input.inputPrefix.replace(/\/?$/, '/');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-batch-capture-'));
    const written: string[] = [];
    try {
      const schema = featureSchemaSchema.parse(JSON.parse((await backend.objectStore.get(input.model.featureSchemaUri)).toString('utf8')));
      const featureNames = schema.features.map((f) => f.name);
      for (const inputUri of (await backend.objectStore.list(inputPrefix)).filter((u) => !u.endsWith('/'))) {
        const name = inputUri.slice(inputPrefix.length);
        const outUri = joinUri(input.outputPath, `${name}.out`);
        const captureUri = joinUri(input.capture.destinationUri, `${name}.captured.csv`);
        if (!outputUris.includes(outUri)) {
          ctx.log.warn('no batch capture for an input without output', { jobName: input.jobName, inputUri, expected: outUri });
          continue;
        }
        try {
          const [inputFile, outFile, captureFile] = ['input', 'out', 'captured.csv'].map((f) => path.join(dir, f)) as [string, string, string];
          await backend.objectStore.download(inputUri, inputFile);
          await backend.objectStore.download(outUri, outFile);
          ctx.heartbeat({ jobName: input.jobName, status: 'Completed', capturing: inputUri });
          await deriveCaptureFile(inputFile, outFile, captureFile, { name, featureNames, dataProcessing: input.dataProcessing, generateInferenceId: input.capture.generateInferenceId });
          await backend.objectStore.putFile(captureUri, captureFile, { contentType: 'text/csv' });
          written.push(captureUri);
        } catch (err) {
          ctx.log.warn('batch capture not written for one input (the transform itself succeeded)', { jobName: input.jobName, inputUri, error: err instanceof Error ? err.message : String(err) });
        }
      }
    } catch (err) {
      ctx.log.warn('batch capture not written (the transform itself succeeded)', { jobName: input.jobName, error: err instanceof Error ? err.message : String(err) });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    return written;
  }

  return {
    /** The latest approved model of each family, as the training pipeline exported it. */
    async resolveScoringModels(input: { families?: ModelFamily[]; project?: string }): Promise<ScoringModel[]> {
      const out: ScoringModel[] = [];
      // Without a list: every family of the project that has versions in the registry.
      const families = input.families ?? [...new Set((await backend.registry.listVersions(undefined, input.project)).map((v) => v.family))];
      for (const family of families) {
        const champion = await readChampion(backend.parameters, family, input.project);
        if (champion) {
          out.push({
            family,
            ...(champion.algorithm ? { algorithm: champion.algorithm } : {}),
            modelName: champion.modelName,
            modelVersion: champion.modelVersion,
            artifactUri: champion.modelArtifactUri,
            featureSchemaUri: champion.featureSchemaUri,
          });
        }
      }
      if (out.length === 0) {
        throw notFound(`no approved model${input.families ? ` of ${input.families.join(', ')}` : ''} in project ${projectOf(input.project)} to score with: run the training pipeline first`);
      }
      return out;
    },

    /** Step 1: the scoring file through the training run's feature code and schema. */
    async runScoringPreprocessingJob(input: ScoringPreprocessInput): Promise<ScoringPreprocessResult> {
      const featuresPrefix = joinUri(input.outputPrefix, 'features') + '/';
      // The list travels as one comma-separated argument: an empty name or one with a comma could not.
      const unusable = input.idColumns?.find((c) => c.trim() === '' || c.includes(','));
      if (unusable !== undefined) throw invalidInput(`idColumns: '${unusable}' is not a usable column name (empty, or contains a comma)`);
      const { summary } = await runProcessingJob(backend.jobs, settings.pollIntervalMs, {
            jobName: input.jobName,
            image: 'preprocess',
            arguments: [
              '--mode', 'scoring',
              '--input-dir', processingInputDir('raw'),
              '--output-dir', processingOutputDir('features'),
              '--feature-schema', processingInputFile('schema', 'feature-schema.json'),
              ...(input.idColumns ? ['--id-columns', input.idColumns.join(',')] : []),
            ],
            environment: {},
            inputs: [processingInput('raw', input.dataUri), processingInput('schema', input.featureSchemaUri)],
            outputs: [processingOutput('features', featuresPrefix)],
            resources: input.resources,
            maxRuntimeSeconds: input.maxRuntimeSeconds,
          }, { clientErrorType: ErrorType.DatasetSchemaInvalid });
      // The job validated every record against this schema: its feature count is the records' model part.
      const schema = featureSchemaSchema.parse(JSON.parse((await backend.objectStore.get(input.featureSchemaUri)).toString('utf8')));
      return { featuresPrefix, featureCount: schema.features.length, job: summary };
    },

    /** Step 2-3: a batch transform with DataProcessing; the scored payload is captured for monitoring. */
    async runBatchTransformJob(input: BatchTransformInput): Promise<{ outputUris: string[]; captureUris: string[]; job: JobSummary }> {
      const { description, summary } = await runJobToCompletion(backend.jobs, {
        kind: 'transform',
        jobName: input.jobName,
        pollIntervalMs: settings.pollIntervalMs,
        clientErrorType: ErrorType.InvalidInput,
        start: () =>
          backend.jobs.startTransformJob({
            jobName: input.jobName,
            image: algorithmImage(input.model.family, input.model.algorithm),
            modelArtifactUri: input.model.artifactUri,
            featureSchemaUri: input.model.featureSchemaUri,
            input: { s3Uri: input.inputPrefix, contentType: 'text/csv', splitType: 'Line' },
            output: { s3OutputPath: input.outputPath, accept: 'text/csv', assembleWith: 'Line' },
            dataProcessing: input.dataProcessing,
            dataCapture: { destinationS3Uri: input.capture.destinationUri, generateInferenceId: input.capture.generateInferenceId, featureSchemaUri: input.model.featureSchemaUri },
            resources: input.resources,
            maxRuntimeSeconds: input.maxRuntimeSeconds,
          }),
      });
      const capturePrefix = input.capture.destinationUri.replace(/\/?$/, '/');
      const objects = description.outputObjects ?? [];
      const outputUris = objects.filter((u) => u.endsWith('.out'));
      const written = objects.filter((u) => u.startsWith(capturePrefix) && u.endsWith('.captured.csv'));
      const captureUris = written.length > 0 || outputUris.length === 0 ? written : await deriveCaptures(input, outputUris);
      await recordScoring(input, description, outputUris, captureUris);
      return { outputUris, captureUris, job: summary };
    },
  };
}
