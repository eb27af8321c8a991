import { CancellationScope, executeChild, ParentClosePolicy, patched } from '@temporalio/workflow';
import { baselineFiles } from '../../common/artifacts';
import { endpointName, trainingJobNames, type RunRef } from '../../common/ids';
import { projectAttribute } from '../../common/search-attributes';
import type { ApprovalConfig } from '../../common/types/approval';
import { DEFAULT_ROLLBACK_ALARMS, deploymentWorkflowId, PLAIN_SWITCH, type EndpointDeploymentInput } from '../../common/types/deployment';
import type { BaselineUris, ModelDecision, ModelFamily, SplitMetrics } from '../../common/types/model';
import type { ModelOutcome, ModelTrainingConfig } from '../../common/types/training';
import type { endpointDeployment } from '../deployment/deployment.workflow';
import { step } from '../shared/activity-options';
import { createOrUpdateEndpoint } from '../shared/endpoint-steps';
import { innermostMessage } from '../shared/failures';
import type { PipelineRun } from '../shared/pipeline-run';
import { needsApproval } from './approval';
import type { BranchContext } from './branch-context';
import { ChampionCheck } from './champion-check';
import { evaluateCandidate, type CandidateEvaluation } from './evaluate-candidate';
import { approvalRejected, approvalReminder, approvalRequested, approvalTimedOut, modelRejected } from './training.notifications';

/** Runs started before step 10's choice was made in the workflow (one deployEndpoint activity) replay without it. */
export const ENDPOINT_STEPS_PATCH = 'endpoint-steps-in-workflow';

/**
 * Runs started before step 10 was its own deployment workflow (started here as a child, moving
 * traffic by the model's policy and rolling back on its alarms) replay without it.
 */
export const DEPLOYMENT_WORKFLOW_PATCH = 'deployment-workflow';

/** Deployment children started before they carried the run's MlopsProject attribute replay without it. */
export const DEPLOYMENT_PROJECT_PATCH = 'deployment-project-attribute';

/**
 * Runs started before step 6 compared with the champion on the same rows (they compare with the
 * previous best's own validation RMSE) replay without the champion check.
 */
export const CHAMPION_CHECK_PATCH = 'champion-on-same-rows';

/**
 * Runs started before the champion was looked up while the model trains, and before steps 3 and 4
 * ran side by side (one after another, a round trip each on the run's critical path), replay without it.
 */
export const SIDE_BY_SIDE_PATCH = 'branch-steps-side-by-side';

/**
 * Runs started before the run's critical path was shortened replay without it: training is
 * scheduled before the champion lookup (and, in the run, before the data-quality baseline), step
 * 7's model-quality baseline starts beside steps 3-6 when nothing in them can reject the model (no
 * threshold, no champion), and step 11 records the approval and exports the champion in one activity.
 */
export const CRITICAL_PATH_PATCH = 'training-critical-path-first';

/** When a finding requires a person but the run has no approval settings (runs recorded before them). */
const FINDINGS_APPROVAL: ApprovalConfig = { policy: 'manual', reminderAfter: '4 hours', timeoutAfter: '3 days', onTimeout: 'reject' };

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
  /** Step 6 against the champion on the same rows (runs since CHAMPION_CHECK_PATCH). */
  private check?: ChampionCheck;

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

  /** The run's project, in activity inputs (absent for the demo project: its inputs stay as they were). */
  private get projectField(): { project?: string } {
    const { project } = this.ctx.input.config;
    return project ? { project } : {};
  }

  /** The model's algorithm, in activity inputs (absent when the family names the built-in). */
  private get algorithmField(): { algorithm?: NonNullable<ModelTrainingConfig['algorithm']> } {
    return this.model.algorithm ? { algorithm: this.model.algorithm } : {};
  }

  async run(): Promise<ModelOutcome> {
    try {
      let artifactUri: string;
      let version: { version: number; modelName: string };
      let verdict: CandidateEvaluation;
      /** Step 7, when it started beside steps 3-6. */
      let early: { scope: CancellationScope; baselines: Promise<{ dataQuality: BaselineUris; modelQuality: BaselineUris }> } | undefined;
      if (patched(CHAMPION_CHECK_PATCH) && patched(SIDE_BY_SIDE_PATCH)) {
        // The champion is looked up while the model trains, and steps 3 and 4 need only the finished job.
        const check = (this.check = new ChampionCheck(this.ctx, this.model, this.ref));
        const criticalFirst = patched(CRITICAL_PATH_PATCH);
        // The training job is the run's critical path: its activity is scheduled first.
        if (criticalFirst) [artifactUri] = await Promise.all([this.train(), check.start()]);
        else [, artifactUri] = await Promise.all([check.start(), this.train()]);
        if (criticalFirst && this.cannotBeRejectedBeforeBaselines(check)) {
          const scope = new CancellationScope();
          early = { scope, baselines: scope.run(() => this.baselines(artifactUri)) };
          // Awaited after steps 3-6; an early failure must not be an unhandled rejection meanwhile.
          early.baselines.catch(() => undefined);
        }
        let metrics: SplitMetrics;
        try {
          [version, metrics] = await Promise.all([this.save(artifactUri), this.readMetrics()]);
          verdict = await this.judge(version, artifactUri, metrics);
        } catch (err) {
          // The branch fails: its baseline job is stopped rather than left running for nobody.
          early?.scope.cancel();
          throw err;
        }
      } else {
        if (patched(CHAMPION_CHECK_PATCH)) {
          this.check = new ChampionCheck(this.ctx, this.model, this.ref);
          await this.check.start();
        }
        artifactUri = await this.train();
        version = await this.save(artifactUri);
        verdict = await this.evaluate(version, artifactUri);
      }
      if (verdict.outcome === 'rejected') {
        early?.scope.cancel();
        return await this.reject(version, verdict);
      }
      let baselines: { dataQuality: BaselineUris; modelQuality: BaselineUris };
      if (early) {
        this.ctx.setStage(this.family, 'baselining');
        baselines = await early.baselines;
      } else baselines = await this.baselines(artifactUri);
      const acceptance = await this.approve(version, verdict);
      if (!acceptance.approved) return this.outcome;
      const endpoint = await this.deployEndpoint(version);
      if (this.outcome.deployment?.outcome === 'rolled-back') return await this.rolledBack(version, this.outcome.deployment.reason, baselines);
      await this.accept(version, acceptance, baselines, endpoint);
      return this.outcome;
    } catch (err) {
      this.outcome.decision = failedDecision(innermostMessage(err));
      this.ctx.setStage(this.family, 'failed');
      throw err;
    }
  }

  /**
   * Whether steps 5-6 must accept the model whatever its metrics: no RMSE threshold applies and the
   * family has no champion (no comparison, no data-shift check, no incomparable champion). Step 7
   * then needs nothing from them and starts as soon as the model is trained.
   */
  private cannotBeRejectedBeforeBaselines(check: ChampionCheck): boolean {
    const threshold = this.model.rmseThreshold ?? this.ctx.input.config.rmseThreshold;
    return threshold === undefined && !check.hasChampion;
  }

  /** Step 2: the training job. */
  private async train(): Promise<string> {
    const { ctx, model } = this;
    ctx.setStage(this.family, 'training');
    const trained = await step(`step 2: train ${this.family}`, ctx.jobs.runTrainingJob, {
      jobName: this.trainingJobName,
      family: this.family,
      ...this.algorithmField,
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
      ...this.projectField,
      ...this.algorithmField,
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

  /** Steps 4-6: the job's metrics, the RMSE threshold, then the champion on the same rows (older runs: the previous best). */
  private async evaluate(version: { version: number }, artifactUri: string): Promise<CandidateEvaluation> {
    this.ctx.setStage(this.family, 'evaluating');
    return this.judge(version, artifactUri, await this.readMetrics());
  }

  /** Step 4: the finished job's metrics. */
  private async readMetrics(): Promise<SplitMetrics> {
    const metrics = await step(`step 4: read the training metrics of ${this.family}`, this.ctx.quick.readTrainingMetrics, { family: this.family, ...this.algorithmField, jobName: this.trainingJobName });
    this.outcome.metrics = metrics;
    return metrics;
  }

  /** Steps 5-6: the RMSE threshold, then the champion on the same rows (older runs: the previous best). */
  private async judge(version: { version: number }, artifactUri: string, metrics: SplitMetrics): Promise<CandidateEvaluation> {
    const { ctx, model } = this;
    ctx.setStage(this.family, 'evaluating');
    const threshold = model.rmseThreshold ?? ctx.input.config.rmseThreshold;
    if (threshold !== undefined) this.outcome.threshold = threshold;
    if (this.check) {
      const limit = evaluateCandidate({ metrics, threshold, previousBest: null });
      if (limit.outcome === 'rejected') return limit;
      const { verdict, governance } = await this.check.evaluate(artifactUri, metrics);
      this.outcome.governance = governance;
      const thresholdClause = threshold !== undefined ? `validation RMSE ${metrics.validation.rmse.toFixed(1)} within the threshold ${threshold.toFixed(1)}; ` : '';
      return verdict.outcome === 'rejected' ? verdict : { ...verdict, reason: `${thresholdClause}${verdict.reason}` };
    }
    const previousBest = await step(`step 6: find the previous best ${this.family}`, ctx.quick.findPreviousBest, { family: this.family, ...this.projectField, excludeVersion: version.version });
    if (previousBest) this.outcome.previousBest = previousBest;
    return evaluateCandidate({ metrics, threshold, previousBest });
  }

  /** A rejection by steps 5-6: recorded on the version, notified, and the branch ends. */
  private async reject(version: { version: number }, verdict: CandidateEvaluation): Promise<ModelOutcome> {
    const { ctx, outcome } = this;
    outcome.decision = pipelineDecision('rejected', verdict.reason);
    await step(`step ${verdict.rule === 'threshold' ? 5 : 6}: record the rejection of ${this.family} v${version.version}`, ctx.quick.recordModelDecision, {
      family: this.family,
      ...this.projectField,
      version: version.version,
      status: 'Rejected',
      decision: outcome.decision,
      metrics: outcome.metrics!,
      ...(outcome.governance ? { governance: outcome.governance } : {}),
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
            ...(outcome.governance?.comparison ? { comparison: outcome.governance.comparison } : {}),
            ...(outcome.governance?.dataShift ? { dataShift: outcome.governance.dataShift } : {}),
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
        ...this.algorithmField,
        artifactUri,
        testUri: ctx.prep.testUri,
        ...(this.check?.testPredictionsUri ? { testPredictionsUri: this.check.testPredictionsUri } : {}),
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
    const findings = outcome.governance?.approvalReasons ?? [];
    const hasApprovedVersion = this.check ? this.check.hasChampion : outcome.previousBest !== undefined;
    const byPolicy = needsApproval(ctx.input.config.approval, hasApprovedVersion);
    if (!byPolicy && findings.length === 0) return { approved: true, reason: verdict.reason, by: 'pipeline' };
    // A finding asks a person even under `auto`; its timeout keeps the run's settings where it has them.
    const config = ctx.input.config.approval ?? FINDINGS_APPROVAL;
    const subject = { workflowId: this.ref.workflowId, family: this.family, version: version.version, metrics: outcome.metrics! };
    ctx.setStage(this.family, 'awaiting-approval');
    await ctx.pipeline.notify(...keyed(approvalRequested({ ...subject, checks: verdict.reason, timeoutAfter: config.timeoutAfter, findings })));
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
      ...this.projectField,
      version: version.version,
      status: 'Rejected',
      decision: outcome.decision,
      metrics: outcome.metrics!,
      baselines: outcome.baselines!,
      ...(outcome.governance ? { governance: outcome.governance } : {}),
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
    if (!patched(DEPLOYMENT_WORKFLOW_PATCH)) {
      this.outcome.endpoint = { ...target, action: await createOrUpdateEndpoint(ctx, target) };
      return target;
    }
    const overrides = this.model.deployment;
    const autoscaling = overrides?.autoscaling === null ? undefined : (overrides?.autoscaling ?? deployment.autoscaling);
    const input: EndpointDeploymentInput = {
      endpointName: name,
      family: this.family,
      target: { modelName: version.modelName, version: version.version, endpointConfigName },
      policy: overrides?.policy ?? deployment.policy ?? PLAIN_SWITCH,
      alarms: overrides?.alarms ?? deployment.alarms ?? DEFAULT_ROLLBACK_ALARMS,
      ...(autoscaling ? { autoscaling } : {}),
      requestedBy: { workflowId: this.ref.workflowId, kind: 'training' },
      taskQueues: ctx.input.config.taskQueues,
    };
    const workflowId = deploymentWorkflowId(name, version.version);
    const result = await executeChild<typeof endpointDeployment>('endpointDeployment', {
      workflowId,
      taskQueue: ctx.input.config.taskQueues.orchestration,
      args: [input],
      staticSummary: `step 10: deploy ${this.family} v${version.version} to ${name}`,
      // A child inherits no search attributes: the project's filter finds its deployments too.
      ...(patched(DEPLOYMENT_PROJECT_PATCH) ? { typedSearchAttributes: [projectAttribute(ctx.input.config.project)] } : {}),
      // A training run cancelled or terminated mid-deployment asks its deployment to stop, which
      // puts the old model back (the default, TERMINATE, would leave the endpoint splitting
      // traffic; ABANDON would promote a model its run never recorded as deployed).
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
    this.outcome.deployment = { workflowId, outcome: result.outcome, reason: result.reason };
    this.outcome.endpoint = { endpointName: name, endpointConfigName: result.endpointConfigName, action: result.action };
    return result.outcome === 'deployed' ? { endpointName: name, endpointConfigName: result.endpointConfigName } : undefined;
  }

  /** Step 10 rolled the new model back on live traffic: it is rejected, the champion stays. */
  private async rolledBack(version: { version: number }, reason: string, baselines: { dataQuality: BaselineUris; modelQuality: BaselineUris }): Promise<ModelOutcome> {
    const { ctx, outcome } = this;
    outcome.decision = pipelineDecision('rejected', `rolled back during deployment: ${reason}`);
    await step(`step 10: record the rollback of ${this.family} v${version.version}`, ctx.quick.recordModelDecision, {
      family: this.family,
      ...this.projectField,
      version: version.version,
      status: 'Rejected',
      decision: outcome.decision,
      metrics: outcome.metrics!,
      baselines,
      ...(outcome.governance ? { governance: outcome.governance } : {}),
    });
    ctx.setStage(this.family, 'rejected');
    return outcome;
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
    if (patched(CRITICAL_PATH_PATCH)) {
      // One activity, one round trip: the approval is recorded on the version, then it is exported.
      outcome.exportedParameters = await step(`step 11: record ${this.family} v${version.version} as approved and export it as the champion`, ctx.quick.exportChampionConfig, {
        family: this.family,
        ...this.projectField,
        version: version.version,
        ...(endpoint ?? {}),
        approval: { decision: outcome.decision, metrics: outcome.metrics!, baselines, ...(outcome.governance ? { governance: outcome.governance } : {}) },
      });
      ctx.setStage(this.family, 'accepted');
      return;
    }
    await step(`step 11: record ${this.family} v${version.version} as approved`, ctx.quick.recordModelDecision, {
      family: this.family,
      ...this.projectField,
      version: version.version,
      status: 'Approved',
      decision: outcome.decision,
      metrics: outcome.metrics!,
      baselines,
      ...(outcome.governance ? { governance: outcome.governance } : {}),
    });
    outcome.exportedParameters = await step(`step 11: export ${this.family} v${version.version} as the champion`, ctx.quick.exportChampionConfig, {
      family: this.family,
      ...this.projectField,
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
