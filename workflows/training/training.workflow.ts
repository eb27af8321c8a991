import { ApplicationFailure, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { trainingRunLayout } from '../../common/artifacts';
import { ErrorType } from '../../common/errors';
import { runKey, trainingJobNames } from '../../common/ids';
import type { BaselineUris, ModelFamily } from '../../common/types/model';
import type { JobSummary } from '../../common/types/jobs';
import type { ModelOutcome, ModelStage, TrainingInput, TrainingProgress, TrainingResult } from '../../common/types/training';
import { deployActivityOptions, jobActivityOptions, quickActivityOptions, step } from '../shared/activity-options';
import { failureTypeOf, innermostMessage } from '../shared/failures';
import { PipelineRun } from '../shared/pipeline-run';
import { ApprovalBoard } from './approval';
import { CRITICAL_PATH_PATCH, ModelBranch } from './model-branch';
import { trainingProgressQuery } from './training.messages';
import { runFailed, runSucceeded } from './training.notifications';
import { validateTrainingInput } from './validate-input';

/**
 * The automated training pipeline: pre-process (step 1), then one branch per model family in
 * parallel (steps 2-11, `ModelBranch`), while the data-quality baseline of step 7 runs beside
 * them; a notification ends every run, success or failure.
 */
export async function trainingPipeline(input: TrainingInput): Promise<TrainingResult> {
  validateTrainingInput(input);
  const { config } = input;
  const queue = config.taskQueues.compute;
  const pipeline = new PipelineRun(queue, config.project);
  const { run } = pipeline;
  const jobs = proxyActivities<Activities>(jobActivityOptions(queue, config.maxJobRuntimeSeconds));
  const quick = proxyActivities<Activities>(quickActivityOptions(queue));
  const deploy = proxyActivities<Activities>(deployActivityOptions(queue));
  const approvals = new ApprovalBoard();
  approvals.register();
  const layout = trainingRunLayout(config.bucket, runKey(run));

  const progress: TrainingProgress = {
    stage: 'preprocessing',
    models: Object.fromEntries(config.models.map((m) => [m.family, 'waiting' satisfies ModelStage])),
  };
  setHandler(trainingProgressQuery, () => progress);
  const showProgress = () => pipeline.show(describeProgress(progress));
  const setStage = (family: ModelFamily, stage: ModelStage) => {
    progress.models[family] = stage;
    showProgress();
  };
  showProgress();

  const jobSummaries: JobSummary[] = [];
  const branches: ModelBranch[] = [];
  try {
    // Step 1: pre-processing (validation, features, split, feature schema).
    const prep = await step('step 1: pre-process the training data', jobs.runPreprocessingJob, {
      jobName: trainingJobNames.preprocess(run),
      dataUri: input.dataUri,
      outputPrefix: layout.preprocessOutput,
      split: config.split,
      ...(config.datasetSpecUri ? { datasetSpecUri: config.datasetSpecUri } : {}),
      ...(config.dataChecks ? { dataChecks: config.dataChecks } : {}),
      resources: config.preprocessing.resources,
      maxRuntimeSeconds: config.maxJobRuntimeSeconds,
    });
    jobSummaries.push(prep.job);
    progress.stage = 'training';
    progress.featureSchemaUri = prep.featureSchemaUri;

    // Step 7a does not depend on any model: it runs while the models train.
    const startDataQualityBaseline = () =>
      step('step 7: data-quality baseline of the training data', jobs.computeDataQualityBaseline, {
        jobName: trainingJobNames.dataQualityBaseline(run),
        trainUri: prep.trainUri,
        featureSchemaUri: prep.featureSchemaUri,
        outputPrefix: layout.dataQualityBaseline,
        resources: config.baselines.resources,
        maxRuntimeSeconds: config.maxJobRuntimeSeconds,
      });
    // The training jobs are the run's critical path: their activities are scheduled first, the
    // baseline (needed only after a model is trained) right after them in the same workflow task.
    const trainingFirst = patched(CRITICAL_PATH_PATCH);
    let started: { resolve: (b: BaselineUris) => void; reject: (err: unknown) => void } | undefined;
    const dataQualityBaseline = trainingFirst ? new Promise<BaselineUris>((resolve, reject) => (started = { resolve, reject })) : startDataQualityBaseline();
    // Awaited later by each branch and below; mark it handled now so an early failure is not an
    // "unhandled rejection" (which would fail the workflow task instead of the run).
    dataQualityBaseline.catch(() => undefined);

    const context = { pipeline, input, layout, prep, dataQualityBaseline, approvals, setStage, jobs, quick, deploy };
    branches.push(...config.models.map((model) => new ModelBranch(context, model)));
    const running = branches.map((b) => b.run());
    if (started) startDataQualityBaseline().then(started.resolve, started.reject);
    const settled = await Promise.allSettled(running);
    for (const b of branches) if (b.outcome.trainingJob) jobSummaries.push(b.outcome.trainingJob);
    const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ family: config.models[i]!.family, error: s.reason as unknown }] : []));
    const dataQuality: BaselineUris = await dataQualityBaseline;
    if (failures.length > 0) {
      throw ApplicationFailure.create({
        message: failures.map((f) => `${f.family}: ${innermostMessage(f.error)}`).join('; '),
        type: failureTypeOf(failures[0]!.error) ?? ErrorType.JobFailed,
        nonRetryable: true,
        details: [{ models: branches.map((b) => b.outcome) }],
      });
    }

    const models = settled.map((s) => (s as PromiseFulfilledResult<ModelOutcome>).value);
    const result: TrainingResult = { workflowId: run.workflowId, runId: run.runId, dataUri: input.dataUri, featureSchemaUri: prep.featureSchemaUri, dataQualityBaseline: dataQuality, models, jobs: jobSummaries };
    progress.stage = 'completed';
    showProgress();
    const overall = summarizeOutcome(models);
    await pipeline.finish(overall, runSucceeded({ dataUri: input.dataUri, models, overall }));
    return result;
  } catch (err) {
    progress.stage = 'failed';
    showProgress();
    await pipeline.finish(
      'failed',
      runFailed({ dataUri: input.dataUri, message: innermostMessage(err), failureType: failureTypeOf(err) ?? ErrorType.JobFailed, models: branches.map((b) => b.outcome) }),
    );
    throw err;
  }
}

function summarizeOutcome(models: ModelOutcome[]): string {
  const accepted = models.filter((m) => m.decision.outcome === 'accepted').length;
  if (accepted === models.length) return 'accepted';
  return accepted === 0 ? 'rejected' : 'partially-accepted';
}

function describeProgress(p: TrainingProgress): string {
  const models = Object.entries(p.models).map(([family, stage]) => `- **${family}**: ${stage}`);
  return [`**Stage:** ${p.stage}`, ...models].join('\n');
}
