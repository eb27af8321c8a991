import { patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { passThroughDataProcessing } from '../../common/data-processing';
import { invalidInput } from '../../common/errors';
import { runKey, scoringJobNames } from '../../common/ids';
import type { DataProcessing, ScoredOutput, ScoringInput, ScoringResult, ScoringStage } from '../../common/types/scoring';
import { joinUri, parseS3Uri, s3Uri } from '../../common/uri';
import { jobActivityOptions, quickActivityOptions, step } from '../shared/activity-options';
import { failureTypeOf, innermostMessage } from '../shared/failures';
import { PipelineRun } from '../shared/pipeline-run';
import { scoringProgressQuery } from './batch-scoring.messages';

/**
 * The automated batch scoring pipeline: the scoring file goes through the training run's feature
 * code (features first, then the file's own columns that pass around the model), then a batch
 * transform per champion model (DataProcessing: only the features reach the model, the prediction
 * is joined back, the pass-through columns + prediction are kept); the scored payload (features +
 * prediction) is captured for monitoring.
 */
export async function batchScoringPipeline(input: ScoringInput): Promise<ScoringResult> {
  try {
    parseS3Uri(input.dataUri);
  } catch (err) {
    throw invalidInput(`dataUri: ${(err as Error).message}`);
  }
  const info = workflowInfo();
  const { config } = input;
  const queue = config.taskQueues.compute;
  const pipeline = new PipelineRun(queue, config.project);
  const { run } = pipeline;
  const quick = proxyActivities<Activities>(quickActivityOptions(queue));
  const jobs = proxyActivities<Activities>(jobActivityOptions(queue, config.maxJobRuntimeSeconds));
  const key = runKey(run);
  const progress: { stage: ScoringStage; models: string[] } = { stage: 'resolving-models', models: [] };
  setHandler(scoringProgressQuery, () => progress);
  const stage = (s: ScoringStage) => {
    progress.stage = s;
    pipeline.show(`**Stage:** ${s}${progress.models.length ? `\n\nModels: ${progress.models.join(', ')}` : ''}`);
  };
  stage('resolving-models');

  try {
    const models = await step('find the latest approved models', quick.resolveScoringModels, {
      ...(config.families ? { families: config.families } : {}),
      ...(config.project ? { project: config.project } : {}),
    });
    progress.models = models.map((m) => `${m.family} v${m.modelVersion}`);

    // Step 1: one pre-processing job per distinct feature schema (one when both champions come
    // from the same training run).
    stage('preprocessing');
    const schemas = [...new Set(models.map((m) => m.featureSchemaUri))];
    const prepared = await Promise.all(
      schemas.map((featureSchemaUri, index) =>
        step(`step 1: pre-process the scoring file${schemas.length > 1 ? ` (feature schema ${index + 1})` : ''}`, jobs.runScoringPreprocessingJob, {
          jobName: scoringJobNames.preprocess(run, index),
          dataUri: input.dataUri,
          featureSchemaUri,
          outputPrefix: s3Uri(config.bucket, `runs/scoring/${key}/preprocess/${index}`),
          ...(config.idColumns ? { idColumns: config.idColumns } : {}),
          resources: config.resources,
          maxRuntimeSeconds: config.maxJobRuntimeSeconds,
        }),
      ),
    );

    // Steps 2-3: a batch transform per model; outputs and capture land only when a job completes.
    // The filters follow the pre-processed layout (its feature count); a run whose pre-processing
    // predates that layout (ids first, no count) keeps the fixed filters it recorded.
    const filtersFromLayout = patched('scoring-pass-through-columns');
    const dataProcessingOf = (p: { featureCount?: number }): DataProcessing => {
      if (filtersFromLayout && p.featureCount !== undefined) return passThroughDataProcessing(p.featureCount);
      if (config.dataProcessing) return config.dataProcessing;
      throw invalidInput('the scoring configuration has no dataProcessing and pre-processing reported no feature count');
    };
    stage('scoring');
    const hour = new Date(info.startTime).toISOString().slice(0, 13).replace(/[-T]/g, '/');
    const outputs: ScoredOutput[] = await Promise.all(
      models.map(async (model) => {
        const preprocessed = prepared[schemas.indexOf(model.featureSchemaUri)]!;
        const result = await step(`step 2: batch transform with ${model.family} v${model.modelVersion}`, jobs.runBatchTransformJob, {
          jobName: scoringJobNames.transform(run, model.family),
          ...(config.project ? { project: config.project } : {}),
          model,
          inputPrefix: preprocessed.featuresPrefix,
          sourceUri: input.dataUri,
          outputPath: joinUri(config.outputPrefix, key, model.family) + '/',
          dataProcessing: dataProcessingOf(preprocessed),
          capture: { destinationUri: joinUri(config.captureUri, model.family, hour, key) + '/', generateInferenceId: config.generateInferenceId },
          resources: config.resources,
          maxRuntimeSeconds: config.maxJobRuntimeSeconds,
        });
        return { family: model.family, modelName: model.modelName, modelVersion: model.modelVersion, ...result };
      }),
    );
    stage('completed');
    await pipeline.finish('scored', {
      key: 'scoring-succeeded',
      kind: 'scoring.succeeded',
      severity: 'info',
      subject: `batch scoring finished: ${input.dataUri}`,
      message: outputs.map((o) => `${o.family} v${o.modelVersion}: ${o.outputUris.join(', ')}`).join('\n'),
      details: { dataUri: input.dataUri, outputs: outputs.map((o) => ({ family: o.family, modelVersion: o.modelVersion, outputUris: o.outputUris })) },
    });
    return { workflowId: run.workflowId, runId: run.runId, dataUri: input.dataUri, preprocessedPrefix: prepared[0]!.featuresPrefix, outputs };
  } catch (err) {
    stage('failed');
    await pipeline.finish('failed', {
      key: 'scoring-failed',
      kind: 'scoring.failed',
      severity: 'error',
      subject: `batch scoring failed: ${input.dataUri}`,
      message: innermostMessage(err),
      details: { dataUri: input.dataUri, failureType: failureTypeOf(err) ?? null },
    });
    throw err;
  }
}
