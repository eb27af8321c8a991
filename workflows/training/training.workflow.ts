import {
  ApplicationFailure,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { baselineFiles, trainingRunLayout } from '../../common/artifacts';
import { ErrorType } from '../../common/errors';
import { endpointName, runKey, trainingJobNames, type RunRef } from '../../common/ids';
import { OUTCOME } from '../../common/search-attributes';
import type { JobSummary } from '../../common/types/jobs';
import type { BaselineUris, ModelDecision, ModelFamily } from '../../common/types/model';
import type { ModelOutcome, ModelStage, ModelTrainingConfig, TrainingInput, TrainingProgress, TrainingResult } from '../../common/types/training';
import { deployActivityOptions, jobActivityOptions, quickActivityOptions } from '../shared/activity-options';
import { failureTypeOf, innermostMessage } from '../shared/failures';
import { sendNotification } from '../shared/notify';
import { ApprovalBoard, needsApproval } from './approval';
import { evaluateCandidate } from './evaluate-candidate';
import { trainingProgressQuery } from './training.messages';
import { validateTrainingInput } from './validate-input';

/**
 * The automated training pipeline: pre-process, then per model family in parallel: train, save,
 * read metrics, threshold, compare with the previous best, baselines, export. Approval, endpoint
 * configuration and endpoint deployment (steps 8-10) slot in between the baselines and the export.
 */
export async function trainingPipeline(input: TrainingInput): Promise<TrainingResult> {
  validateTrainingInput(input);
  const info = workflowInfo();
  const run: RunRef = { workflowId: info.workflowId, runId: info.runId };
  const { config } = input;
  const queue = config.taskQueues.compute;
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
  const setStage = (family: ModelFamily, stage: ModelStage) => {
    progress.models[family] = stage;
    setCurrentDetails(describeProgress(progress));
  };
  setCurrentDetails(describeProgress(progress));

  const jobSummaries: JobSummary[] = [];
  const outcomes = new Map<ModelFamily, ModelOutcome>();
  try {
    // Step 1: pre-processing (validation, features, split, feature schema).
    const prep = await jobs.runPreprocessingJob({
      jobName: trainingJobNames.preprocess(run),
      dataUri: input.dataUri,
      outputPrefix: layout.preprocessOutput,
      split: config.split,
      resources: config.preprocessing.resources,
      maxRuntimeSeconds: config.maxJobRuntimeSeconds,
    });
    jobSummaries.push(prep.job);
    progress.stage = 'training';
    progress.featureSchemaUri = prep.featureSchemaUri;

    // Step 7a does not depend on any model: it runs while the models train.
    const dataQualityBaseline = jobs.computeDataQualityBaseline({
      jobName: trainingJobNames.dataQualityBaseline(run),
      trainUri: prep.trainUri,
      featureSchemaUri: prep.featureSchemaUri,
      outputPrefix: layout.dataQualityBaseline,
      resources: config.baselines.resources,
      maxRuntimeSeconds: config.maxJobRuntimeSeconds,
    });
    // Awaited later by each branch and below; mark it handled now so an early failure is not an
    // "unhandled rejection" (which would fail the workflow task instead of the run).
    dataQualityBaseline.catch(() => undefined);

    const trainModel = async (model: ModelTrainingConfig): Promise<ModelOutcome> => {
      const { family } = model;
      const outcome: ModelOutcome = { family, decision: failedDecision('not finished') };
      outcomes.set(family, outcome);
      try {
        // Step 2: training job.
        setStage(family, 'training');
        const trainingJobName = trainingJobNames.train(run, family);
        const trained = await jobs.runTrainingJob({
          jobName: trainingJobName,
          family,
          hyperparameters: model.hyperparameters,
          channels: { train: prep.trainUri, validation: prep.validationUri, test: prep.testUri },
          featureSchemaUri: prep.featureSchemaUri,
          outputPath: layout.modelOutput,
          resources: model.resources,
          maxRuntimeSeconds: config.maxJobRuntimeSeconds,
        });
        jobSummaries.push(trained.job);
        outcome.trainingJob = trained.job;
        outcome.artifactUri = trained.artifactUri;

        // Step 3: save the model as a registry version.
        setStage(family, 'registering');
        const registered = await quick.registerModelVersion({
          family,
          modelName: trainingJobNames.model(run, family),
          artifactUri: trained.artifactUri,
          trainingJobName,
          workflowId: run.workflowId,
          runId: run.runId,
          featureSchemaUri: prep.featureSchemaUri,
          dataUri: input.dataUri,
          hyperparameters: model.hyperparameters,
          // Where step 7 writes the baselines: SageMaker takes a package's ModelMetrics only when it is created.
          expectedBaselines: { dataQuality: baselineFiles(layout.dataQualityBaseline), modelQuality: baselineFiles(layout.modelQualityBaseline(family)) },
        });
        outcome.version = registered.version;
        outcome.modelName = registered.modelName;

        // Steps 4-6: metrics, threshold, previous best.
        setStage(family, 'evaluating');
        const metrics = await quick.readTrainingMetrics({ family, jobName: trainingJobName });
        outcome.metrics = metrics;
        const threshold = model.rmseThreshold ?? config.rmseThreshold;
        if (threshold !== undefined) outcome.threshold = threshold;
        const previousBest = await quick.findPreviousBest({ family, excludeVersion: registered.version });
        if (previousBest) outcome.previousBest = previousBest;
        const verdict = evaluateCandidate({ metrics, threshold, previousBest });
        if (verdict.outcome === 'rejected') {
          outcome.decision = pipelineDecision('rejected', verdict.reason);
          await quick.recordModelDecision({ family, version: registered.version, status: 'Rejected', decision: outcome.decision, metrics });
          setStage(family, 'rejected');
          await sendNotification(queue, {
            id: `${run.workflowId}/${run.runId}/model-rejected/${family}`,
            kind: 'model.rejected',
            severity: 'warning',
            subject: `${family} version ${registered.version} rejected`,
            message: `${family} version ${registered.version} was rejected: ${verdict.reason}.`,
            workflowId: run.workflowId,
            runId: run.runId,
            details: { family, version: registered.version, rule: verdict.rule, metric: 'validation:rmse', value: metrics.validation.rmse, threshold: threshold ?? null, previousBest },
          });
          return outcome;
        }

        // Step 7: baselines (data quality started above; model quality per model).
        setStage(family, 'baselining');
        const [dataQuality, modelQuality] = await Promise.all([
          dataQualityBaseline,
          jobs.computeModelQualityBaseline({
            jobName: trainingJobNames.modelQualityBaseline(run, family),
            family,
            artifactUri: trained.artifactUri,
            testUri: prep.testUri,
            featureSchemaUri: prep.featureSchemaUri,
            outputPrefix: layout.modelQualityBaseline(family),
            resources: config.baselines.resources,
            ...(config.baselines.transformResources ? { transformResources: config.baselines.transformResources } : {}),
            maxRuntimeSeconds: config.maxJobRuntimeSeconds,
          }),
        ]);
        outcome.baselines = { dataQuality, modelQuality };

        // Step 8: approval, when the run's policy asks a person.
        let acceptance = { reason: verdict.reason, by: 'pipeline' };
        if (needsApproval(config.approval, previousBest !== null)) {
          const approvalConfig = config.approval!;
          const approveCommand = `mlops approve '${run.workflowId}' --model ${family} --by NAME --reason TEXT`;
          const note = (kind: string, subject: string, message: string, severity: 'info' | 'warning' = 'info') =>
            sendNotification(queue, {
              id: `${run.workflowId}/${run.runId}/${kind}/${family}`,
              kind,
              severity,
              subject,
              message,
              workflowId: run.workflowId,
              runId: run.runId,
              details: { family, version: registered.version, metrics, approveCommand },
            });
          setStage(family, 'awaiting-approval');
          await note(
            'approval.requested',
            `${family} version ${registered.version} waits for approval`,
            `${family} version ${registered.version} passed its checks (${verdict.reason}) and waits for a decision within ${approvalConfig.timeoutAfter}.\nApprove: ${approveCommand}\nReject:  ${approveCommand.replace('mlops approve', 'mlops reject')}`,
          );
          const decision = await approvals.await({ family, version: registered.version, modelName: registered.modelName, metrics }, approvalConfig, () =>
            note('approval.reminder', `reminder: ${family} version ${registered.version} still waits for approval`, `No decision yet. Approve: ${approveCommand}`, 'warning'),
          );
          outcome.approval = {
            required: true,
            outcome: decision.kind === 'timed-out' ? 'timed-out' : decision.approved ? 'approved' : 'rejected',
            ...(decision.kind === 'decided' ? { by: decision.by } : {}),
            reason: decision.reason,
          };
          if (decision.kind === 'timed-out') {
            await note('approval.timed-out', `${family} version ${registered.version}: approval timed out`, `${decision.reason}: the model is ${decision.approved ? 'approved' : 'rejected'}.`, 'warning');
          }
          const by = decision.kind === 'decided' ? decision.by : 'pipeline';
          if (!decision.approved) {
            const reason = decision.kind === 'decided' ? `rejected by ${by}: ${decision.reason}` : decision.reason;
            outcome.decision = { ...pipelineDecision('rejected', reason), decidedBy: by };
            await quick.recordModelDecision({ family, version: registered.version, status: 'Rejected', decision: outcome.decision, metrics, baselines: { dataQuality, modelQuality } });
            setStage(family, 'rejected');
            await note('model.rejected', `${family} version ${registered.version} rejected`, `${family} version ${registered.version} was rejected: ${reason}.`, 'warning');
            return outcome;
          }
          acceptance = { reason: `${verdict.reason}; approved by ${by}: ${decision.reason}`, by };
        }

        // Steps 9-10: endpoint configuration with data capture, then create or update the endpoint.
        let endpoint: { endpointName: string; endpointConfigName: string } | undefined;
        if (config.deployment) {
          setStage(family, 'deploying');
          const endpointConfigName = trainingJobNames.endpointConfig(run, family);
          await quick.createEndpointConfig({ endpointConfigName, family, modelName: registered.modelName, deployment: config.deployment });
          outcome.endpoint = await deploy.deployEndpoint({ endpointName: endpointName(config.deployment.endpointNamePrefix, family), endpointConfigName });
          endpoint = { endpointName: outcome.endpoint.endpointName, endpointConfigName };
        }

        // Step 11: accept and export the configuration for the other pipelines.
        setStage(family, 'exporting');
        outcome.decision = { ...pipelineDecision('accepted', acceptance.reason), decidedBy: acceptance.by };
        await quick.recordModelDecision({
          family,
          version: registered.version,
          status: 'Approved',
          decision: outcome.decision,
          metrics,
          baselines: { dataQuality, modelQuality },
        });
        outcome.exportedParameters = await quick.exportChampionConfig({ family, version: registered.version, ...(endpoint ?? {}) });
        setStage(family, 'accepted');
        return outcome;
      } catch (err) {
        outcome.decision = failedDecision(innermostMessage(err));
        setStage(family, 'failed');
        throw err;
      }
    };

    const settled = await Promise.allSettled(config.models.map(trainModel));
    const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ family: config.models[i]!.family, error: s.reason as unknown }] : []));
    const dataQuality: BaselineUris = await dataQualityBaseline;
    if (failures.length > 0) {
      throw ApplicationFailure.create({
        message: failures.map((f) => `${f.family}: ${innermostMessage(f.error)}`).join('; '),
        type: failureTypeOf(failures[0]!.error) ?? ErrorType.JobFailed,
        nonRetryable: true,
        details: [{ models: [...outcomes.values()] }],
      });
    }

    const result: TrainingResult = {
      workflowId: run.workflowId,
      runId: run.runId,
      dataUri: input.dataUri,
      featureSchemaUri: prep.featureSchemaUri,
      dataQualityBaseline: dataQuality,
      models: settled.map((s) => (s as PromiseFulfilledResult<ModelOutcome>).value),
      jobs: jobSummaries,
    };
    progress.stage = 'completed';
    const overall = summarizeOutcome(result.models);
    upsertSearchAttributes([{ key: OUTCOME, value: overall }]);
    setCurrentDetails(describeProgress(progress));
    await sendNotification(queue, {
      id: `${run.workflowId}/${run.runId}/run-succeeded`,
      kind: 'training.succeeded',
      severity: overall === 'accepted' ? 'info' : 'warning',
      subject: `training run finished: ${result.models.map((m) => `${m.family} ${m.decision.outcome}`).join(', ')}`,
      message: result.models.map((m) => `${m.family}${m.version ? ` v${m.version}` : ''}: ${m.decision.outcome} (${m.decision.reason})`).join('\n'),
      workflowId: run.workflowId,
      runId: run.runId,
      details: { dataUri: input.dataUri, models: result.models.map((m) => ({ family: m.family, version: m.version ?? null, outcome: m.decision.outcome, metrics: m.metrics ?? null })) },
    });
    return result;
  } catch (err) {
    progress.stage = 'failed';
    upsertSearchAttributes([{ key: OUTCOME, value: 'failed' }]);
    setCurrentDetails(describeProgress(progress));
    await sendNotification(queue, {
      id: `${run.workflowId}/${run.runId}/run-failed`,
      kind: 'training.failed',
      severity: 'error',
      subject: `training run failed: ${input.dataUri}`,
      message: innermostMessage(err),
      workflowId: run.workflowId,
      runId: run.runId,
      details: { dataUri: input.dataUri, failureType: failureTypeOf(err) ?? ErrorType.JobFailed, models: [...outcomes.values()].map((m) => ({ family: m.family, outcome: m.decision.outcome, reason: m.decision.reason })) },
    });
    throw err;
  }
}

function pipelineDecision(outcome: ModelDecision['outcome'], reason: string): ModelDecision {
  return { outcome, reason, decidedBy: 'pipeline', decidedAt: new Date().toISOString() };
}

function failedDecision(reason: string): ModelOutcome['decision'] {
  return { outcome: 'failed', reason, decidedBy: 'pipeline', decidedAt: new Date().toISOString() };
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
