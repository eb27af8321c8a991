import { patched, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { PreprocessResult } from '../../activities/training/preprocess';
import { baselineFiles, type trainingRunLayout } from '../../common/artifacts';
import { endpointName, trainingJobNames, type RunRef } from '../../common/ids';
import type { PreviousBest } from '../../activities/registry/model-registry';
import type { BaselineUris, ModelDecision, ModelFamily, SplitMetrics } from '../../common/types/model';
import type { ModelOutcome, ModelStage, ModelTrainingConfig, TrainingInput } from '../../common/types/training';
import { step } from '../shared/activity-options';
import { innermostMessage } from '../shared/failures';
import type { PipelineRun } from '../shared/pipeline-run';
import { needsApproval, type ApprovalBoard } from './approval';
import { evaluateCandidate, type CandidateEvaluation } from './evaluate-candidate';
import { approvalRejected, approvalReminder, approvalRequested, approvalTimedOut, modelRejected } from './training.notifications';

/** Runs started before step 10's choice was made in the workflow (one deployEndpoint activity) replay without it. */
export const ENDPOINT_STEPS_PATCH = 'endpoint-steps-in-workflow';

/** Runs started before steps 3, 4 and 6 ran side by side (one after another) replay without it. */
export const RESULT_STEPS_SIDE_BY_SIDE_PATCH = 'steps-3-4-6-side-by-side';

/** What every model branch of one run shares. */
export interface BranchContext {
  pipeline: PipelineRun;
  input: TrainingInput;
  layout: ReturnType<typeof trainingRunLayout>;
  prep: PreprocessResult;
  /** Step 7a, started before the branches: every branch awaits the same baseline. */
  dataQualityBaseline: Promise<BaselineUris>;
  approvals: ApprovalBoard;
  setStage: (family: ModelFamily, stage: ModelStage) => void;
  /** Activity proxies by timeout class: jobs (long, heartbeating), quick calls, endpoint deployment. */
  jobs: ActivityInterfaceFor<Activities>;
  quick: ActivityInterfaceFor<Activities>;
  deploy: ActivityInterfaceFor<Activities>;
}

/**
 * Steps 2-11 for one model family, as the state machine names them: train, save, query the
 * results, check the threshold and the previous best, baselines, approval, endpoint configuration
 * and endpoint, export. A rejection ends the branch with its outcome (the other model goes on); a
 * failure fails the branch. `outcome` is filled in as the branch goes, so a failure still reports
 * how far it got.
 */
export class ModelBranch {
  readonly outcome: ModelOutcome;
  private readonly ref: RunRef;
  private readonly trainingJobName: string;

  constructor(
    private readonly ctx: BranchContext,
    private readonly model: ModelTrainingConfig,
  ) {
    this.ref = ctx.pipeline.run;
    this.outcome = { family: model.family, decision: failedDecision('not finished') };
    this.trainingJobName = trainingJobNames.train(this.ref, model.family);
  }

  private get family(): ModelFamily {
    return this.model.family;
  }

  async run(): Promise<ModelOutcome> {
    try {
      const artifactUri = await this.train();
      const { version, verdict } = patched(RESULT_STEPS_SIDE_BY_SIDE_PATCH) ? await this.saveAndEvaluate(artifactUri) : await this.saveThenEvaluate(artifactUri);
      if (verdict.outcome === 'rejected') return await this.reject(version, verdict);
      const baselines = await this.baselines(artifactUri);
      const acceptance = await this.approve(version, verdict);
      if (!acceptance.approved) return this.outcome;
      const endpoint = await this.deployEndpoint(version);
      await this.accept(version, acceptance, baselines, endpoint);
      return this.outcome;
    } catch (err) {
      this.outcome.decision = failedDecision(innermostMessage(err));
      this.ctx.setStage(this.family, 'failed');
      throw err;
    }
  }

  /** Step 2: the training job. */
  private async train(): Promise<string> {
    const { ctx, model } = this;
    ctx.setStage(this.family, 'training');
    const trained = await step(`step 2: train ${this.family}`, ctx.jobs.runTrainingJob, {
      jobName: this.trainingJobName,
      family: this.family,
      hyperparameters: model.hyperparameters,
      channels: { train: ctx.prep.trainUri, validation: ctx.prep.validationUri, test: ctx.prep.testUri },
      featureSchemaUri: ctx.prep.featureSchemaUri,
      outputPath: ctx.layout.modelOutput,
      resources: model.resources,
      maxRuntimeSeconds: ctx.input.config.maxJobRuntimeSeconds,
    });
    this.outcome.trainingJob = trained.job;
    this.outcome.artifactUri = trained.artifactUri;
    return trained.artifactUri;
  }

  /** Step 3: save the model as a registry version. */
  private async save(artifactUri: string): Promise<{ version: number; modelName: string }> {
    const { ctx, model } = this;
    this.ctx.setStage(this.family, 'registering');
    const registered = await step(`step 3: save ${this.family} as a model version`, ctx.quick.registerModelVersion, {
      family: this.family,
      modelName: trainingJobNames.model(this.ref, this.family),
      artifactUri,
      trainingJobName: this.trainingJobName,
      workflowId: this.ref.workflowId,
      runId: this.ref.runId,
      featureSchemaUri: ctx.prep.featureSchemaUri,
      dataUri: ctx.input.dataUri,
      hyperparameters: model.hyperparameters,
      // Where step 7 writes the baselines: SageMaker takes a package's ModelMetrics only when it is created.
      expectedBaselines: { dataQuality: baselineFiles(ctx.layout.dataQualityBaseline), modelQuality: baselineFiles(ctx.layout.modelQualityBaseline(this.family)) },
    });
    this.outcome.version = registered.version;
    this.outcome.modelName = registered.modelName;
    return registered;
  }

  /**
   * Steps 3-6 with 3, 4 and 6 side by side: each needs only the finished training job (step 6
   * leaves this run's model out by its name, known before step 3 registers it), so the branch waits
   * for one round trip to the workers instead of three before the checks of steps 5 and 6.
   */
  private async saveAndEvaluate(artifactUri: string): Promise<{ version: { version: number; modelName: string }; verdict: CandidateEvaluation }> {
    const [version, metrics, previousBest] = await Promise.all([
      this.save(artifactUri),
      this.readMetrics(),
      step(`step 6: find the previous best ${this.family}`, this.ctx.quick.findPreviousBest, { family: this.family, excludeModelName: trainingJobNames.model(this.ref, this.family) }),
    ]);
    this.ctx.setStage(this.family, 'evaluating');
    return { version, verdict: this.check(metrics, previousBest) };
  }

  /** Steps 3-6 one after another, as runs started before RESULT_STEPS_SIDE_BY_SIDE_PATCH recorded them. */
  private async saveThenEvaluate(artifactUri: string): Promise<{ version: { version: number; modelName: string }; verdict: CandidateEvaluation }> {
    const version = await this.save(artifactUri);
    this.ctx.setStage(this.family, 'evaluating');
    const metrics = await this.readMetrics();
    const previousBest = await step(`step 6: find the previous best ${this.family}`, this.ctx.quick.findPreviousBest, { family: this.family, excludeVersion: version.version });
    return { version, verdict: this.check(metrics, previousBest) };
  }

  /** Step 4: the job's metrics. */
  private async readMetrics(): Promise<SplitMetrics> {
    const metrics = await step(`step 4: read the training metrics of ${this.family}`, this.ctx.quick.readTrainingMetrics, { family: this.family, jobName: this.trainingJobName });
    this.outcome.metrics = metrics;
    return metrics;
  }

  /** Steps 5-6: the RMSE threshold and the previous best of the family. */
  private check(metrics: SplitMetrics, previousBest: PreviousBest | null): CandidateEvaluation {
    const threshold = this.model.rmseThreshold ?? this.ctx.input.config.rmseThreshold;
    if (threshold !== undefined) this.outcome.threshold = threshold;
    if (previousBest) this.outcome.previousBest = previousBest;
    return evaluateCandidate({ metrics, threshold, previousBest });
  }

  /** A rejection by steps 5-6: recorded on the version, notified, and the branch ends. */
  private async reject(version: { version: number }, verdict: CandidateEvaluation): Promise<ModelOutcome> {
    const { ctx, outcome } = this;
    outcome.decision = pipelineDecision('rejected', verdict.reason);
    await step(`step ${verdict.rule === 'threshold' ? 5 : 6}: record the rejection of ${this.family} v${version.version}`, ctx.quick.recordModelDecision, {
      family: this.family,
      version: version.version,
      status: 'Rejected',
      decision: outcome.decision,
      metrics: outcome.metrics!,
    });
    ctx.setStage(this.family, 'rejected');
    await ctx.pipeline.notify(
      ...keyed(
        modelRejected({
          family: this.family,
          version: version.version,
          reason: verdict.reason,
          details: {
            family: this.family,
            version: version.version,
            rule: verdict.rule,
            metric: 'validation:rmse',
            value: outcome.metrics!.validation.rmse,
            threshold: outcome.threshold ?? null,
            previousBest: outcome.previousBest ?? null,
          },
        }),
      ),
    );
    return outcome;
  }

  /** Step 7: the data-quality baseline (started before the branches) and this model's model-quality baseline. */
  private async baselines(artifactUri: string): Promise<{ dataQuality: BaselineUris; modelQuality: BaselineUris }> {
    const { ctx } = this;
    ctx.setStage(this.family, 'baselining');
    const [dataQuality, modelQuality] = await Promise.all([
      ctx.dataQualityBaseline,
      step(`step 7: model-quality baseline of ${this.family}`, ctx.jobs.computeModelQualityBaseline, {
        jobName: trainingJobNames.modelQualityBaseline(this.ref, this.family),
        family: this.family,
        artifactUri,
        testUri: ctx.prep.testUri,
        featureSchemaUri: ctx.prep.featureSchemaUri,
        outputPrefix: ctx.layout.modelQualityBaseline(this.family),
        resources: ctx.input.config.baselines.resources,
        ...(ctx.input.config.baselines.transformResources ? { transformResources: ctx.input.config.baselines.transformResources } : {}),
        maxRuntimeSeconds: ctx.input.config.maxJobRuntimeSeconds,
      }),
    ]);
    this.outcome.baselines = { dataQuality, modelQuality };
    return { dataQuality, modelQuality };
  }

  /**
   * Step 8: a person decides when the run's policy asks for it (with a reminder and a timeout
   * that applies the policy's default). A rejection is recorded and notified here.
   */
  private async approve(version: { version: number; modelName: string }, verdict: CandidateEvaluation): Promise<{ approved: boolean; reason: string; by: string }> {
    const { ctx, outcome } = this;
    const config = ctx.input.config.approval;
    if (!needsApproval(config, outcome.previousBest !== undefined) || !config) return { approved: true, reason: verdict.reason, by: 'pipeline' };
    const subject = { workflowId: this.ref.workflowId, family: this.family, version: version.version, metrics: outcome.metrics! };
    ctx.setStage(this.family, 'awaiting-approval');
    await ctx.pipeline.notify(...keyed(approvalRequested({ ...subject, checks: verdict.reason, timeoutAfter: config.timeoutAfter })));
    const decision = await ctx.approvals.await({ family: this.family, version: version.version, modelName: version.modelName, metrics: outcome.metrics! }, config, () =>
      ctx.pipeline.notify(...keyed(approvalReminder(subject))),
    );
    outcome.approval = {
      required: true,
      outcome: decision.kind === 'timed-out' ? 'timed-out' : decision.approved ? 'approved' : 'rejected',
      ...(decision.kind === 'decided' ? { by: decision.by } : {}),
      reason: decision.reason,
    };
    if (decision.kind === 'timed-out') await ctx.pipeline.notify(...keyed(approvalTimedOut({ ...subject, reason: decision.reason, approved: decision.approved })));
    const by = decision.kind === 'decided' ? decision.by : 'pipeline';
    if (decision.approved) return { approved: true, reason: `${verdict.reason}; approved by ${by}: ${decision.reason}`, by };
    const reason = decision.kind === 'decided' ? `rejected by ${by}: ${decision.reason}` : decision.reason;
    outcome.decision = { ...pipelineDecision('rejected', reason), decidedBy: by };
    await step(`step 8: record the rejection of ${this.family} v${version.version} by ${by}`, ctx.quick.recordModelDecision, {
      family: this.family,
      version: version.version,
      status: 'Rejected',
      decision: outcome.decision,
      metrics: outcome.metrics!,
      baselines: outcome.baselines!,
    });
    ctx.setStage(this.family, 'rejected');
    await ctx.pipeline.notify(...keyed(approvalRejected({ ...subject, reason })));
    return { approved: false, reason, by };
  }

  /** Steps 9-10: the endpoint configuration with data capture, then the endpoint (created, or updated in place). */
  private async deployEndpoint(version: { version: number; modelName: string }): Promise<{ endpointName: string; endpointConfigName: string } | undefined> {
    const { ctx } = this;
    const deployment = ctx.input.config.deployment;
    if (!deployment) return undefined;
    ctx.setStage(this.family, 'deploying');
    const endpointConfigName = trainingJobNames.endpointConfig(this.ref, this.family);
    const name = endpointName(deployment.endpointNamePrefix, this.family);
    await step(`step 9: endpoint configuration for ${this.family} v${version.version} with data capture`, ctx.quick.createEndpointConfig, {
      endpointConfigName,
      family: this.family,
      modelName: version.modelName,
      deployment,
    });
    const target = { endpointName: name, endpointConfigName };
    if (!patched(ENDPOINT_STEPS_PATCH)) {
      // Runs started before step 10 was spelled out here made the choice inside one activity.
      this.outcome.endpoint = await step(`step 10: create or update endpoint ${name}`, ctx.deploy.deployEndpoint, target);
      return target;
    }
    this.outcome.endpoint = { ...target, action: await this.createOrUpdateEndpoint(target) };
    return target;
  }

  /**
   * Step 10, the check-endpoint choice of the state machine: create the endpoint when it does not
   * exist (a Failed one is deleted first: SageMaker allows nothing else on it), else update it in
   * place; then wait until it serves the new configuration.
   */
  private async createOrUpdateEndpoint(target: { endpointName: string; endpointConfigName: string }): Promise<'created' | 'updated' | 'unchanged'> {
    const { ctx } = this;
    const name = target.endpointName;
    let current = await step(`step 10: check endpoint ${name}`, ctx.quick.describeEndpointState, { endpointName: name });
    if (current?.status === 'Failed') {
      await step(`step 10: delete the failed endpoint ${name}`, ctx.deploy.deleteFailedEndpoint, { endpointName: name });
      current = null;
    }
    let action: 'created' | 'updated' | 'unchanged';
    if (!current) {
      await step(`step 10: create endpoint ${name}`, ctx.quick.createEndpoint, target);
      action = 'created';
    } else if (current.endpointConfigName === target.endpointConfigName) {
      action = 'unchanged';
    } else {
      await step(`step 10: update endpoint ${name} in place (was ${current.endpointConfigName})`, ctx.quick.updateEndpoint, target);
      action = 'updated';
    }
    const before = current ? { endpointConfigName: current.endpointConfigName, lastModifiedTime: current.lastModifiedTime, ...(current.failureReason ? { failureReason: current.failureReason } : {}) } : undefined;
    await step(`step 10: wait until ${name} serves ${target.endpointConfigName}`, ctx.deploy.waitForEndpoint, { ...target, ...(before ? { before } : {}) });
    return action;
  }

  /** Step 11: the model is accepted, recorded on its version and exported as the family's champion. */
  private async accept(
    version: { version: number },
    acceptance: { reason: string; by: string },
    baselines: { dataQuality: BaselineUris; modelQuality: BaselineUris },
    endpoint: { endpointName: string; endpointConfigName: string } | undefined,
  ): Promise<void> {
    const { ctx, outcome } = this;
    ctx.setStage(this.family, 'exporting');
    outcome.decision = { ...pipelineDecision('accepted', acceptance.reason), decidedBy: acceptance.by };
    await step(`step 11: record ${this.family} v${version.version} as approved`, ctx.quick.recordModelDecision, {
      family: this.family,
      version: version.version,
      status: 'Approved',
      decision: outcome.decision,
      metrics: outcome.metrics!,
      baselines,
    });
    outcome.exportedParameters = await step(`step 11: export ${this.family} v${version.version} as the champion`, ctx.quick.exportChampionConfig, {
      family: this.family,
      version: version.version,
      ...(endpoint ?? {}),
    });
    ctx.setStage(this.family, 'accepted');
  }
}

/** A keyed notification as the arguments of `PipelineRun.notify`. */
function keyed(n: { key: string } & Parameters<PipelineRun['notify']>[1]): Parameters<PipelineRun['notify']> {
  const { key, ...rest } = n;
  return [key, rest];
}

export function pipelineDecision(outcome: ModelDecision['outcome'], reason: string): ModelDecision {
  return { outcome, reason, decidedBy: 'pipeline', decidedAt: new Date().toISOString() };
}

export function failedDecision(reason: string): ModelOutcome['decision'] {
  return { outcome: 'failed', reason, decidedBy: 'pipeline', decidedAt: new Date().toISOString() };
}
