import type { AlgorithmSpec } from '../../common/types/algorithm';
import type { FoundChampion } from '../../activities/training/champion-comparison';
import { trainingJobNames, type RunRef } from '../../common/ids';
import type { GovernanceAction, GovernanceRecord } from '../../common/types/governance';
import type { SplitMetrics } from '../../common/types/model';
import type { MonitorReport } from '../../common/types/monitoring';
import type { ModelTrainingConfig } from '../../common/types/training';
import { step } from '../shared/activity-options';
import { compareWithChampion, comparisonRuleFor, suspiciousMetrics, type CandidateEvaluation } from './evaluate-candidate';
import type { BranchContext } from './branch-context';

/**
 * The governance of one model branch: before training, the family's champion is found and the new
 * training data is checked against its data-quality baseline (beside the training job); after
 * training, step 6 scores both models on the challenger's validation and test rows and applies the
 * run's comparison rule. Findings that a person must see (a champion that cannot be compared, a
 * data shift, a validation RMSE of 0.0) either reject the model or require an approval, as the
 * run's policies say; they are all recorded on the version.
 */
export class ChampionCheck {
  private found: FoundChampion = { champion: null, comparable: false };
  private shift?: Promise<MonitorReport>;
  /** The challenger's `label,prediction` on the test split, scored by step 6 (step 7 reuses it). */
  testPredictionsUri?: string;

  constructor(
    private readonly ctx: BranchContext,
    private readonly model: ModelTrainingConfig,
    private readonly ref: RunRef,
  ) {}

  /** Whether the family had a champion when the run began (a first version for `manual-first-version`). */
  get hasChampion(): boolean {
    return this.found.champion !== null;
  }

  /** Before training: the champion, and the new data against its baseline (running beside the training job). */
  async start(): Promise<void> {
    const { ctx, model } = this;
    const family = model.family;
    this.found = await step(`step 6: find the champion of ${family}`, ctx.quick.findChampion, {
      family,
      featureSchemaUri: ctx.prep.featureSchemaUri,
      ...(ctx.input.config.project ? { project: ctx.input.config.project } : {}),
    });
    const champion = this.found.champion;
    if (!champion?.dataQualityBaseline || !this.found.comparable) return;
    this.shift = step(`step 1: check the new data against the baseline of ${family} champion v${champion.version}`, ctx.jobs.runDataQualityMonitor, {
      jobName: trainingJobNames.dataShift(this.ref, family),
      model: {
        family,
        modelName: champion.modelName,
        modelVersion: champion.version,
        featureSchemaUri: champion.featureSchemaUri,
        dataQualityStatisticsUri: champion.dataQualityBaseline.statisticsUri,
        dataQualityConstraintsUri: champion.dataQualityBaseline.constraintsUri,
      },
      source: { prefix: ctx.prep.trainUri, format: 'training-split' },
      outputPrefix: ctx.layout.dataShift(family),
      resources: ctx.input.config.baselines.resources,
      maxRuntimeSeconds: ctx.input.config.maxJobRuntimeSeconds,
    });
    // Awaited in evaluate(); an early failure must not be an unhandled rejection meanwhile.
    this.shift.catch(() => undefined);
  }

  /** Step 6 after training, and the data-shift result: the verdict and what is recorded on the version. */
  async evaluate(artifactUri: string, metrics: SplitMetrics): Promise<{ verdict: CandidateEvaluation; governance: GovernanceRecord }> {
    const { ctx, model } = this;
    const rule = comparisonRuleFor(ctx.input.config.comparison, model.comparison);
    const governance: GovernanceRecord = { warnings: suspiciousMetrics(metrics), approvalReasons: [] };
    governance.approvalReasons.push(...governance.warnings);
    const reasons: string[] = [];
    const reject = (ruleName: CandidateEvaluation['rule'], reason: string) => ({ verdict: { outcome: 'rejected' as const, rule: ruleName, reason }, governance });
    const act = (action: GovernanceAction, text: string): 'reject' | undefined => {
      if (action === 'reject') return 'reject';
      if (action === 'require-approval') governance.approvalReasons.push(text);
      else governance.warnings.push(text);
      return undefined;
    };

    const champion = this.found.champion;
    if (!champion) {
      reasons.push('no champion yet');
    } else if (!this.found.comparable) {
      const text = `the champion (version ${champion.version}) cannot be compared on these rows: ${this.found.reason ?? 'its feature schema differs'}`;
      governance.incomparable = { championVersion: champion.version, reason: this.found.reason ?? 'its feature schema differs' };
      if (act(rule.onIncomparable ?? 'require-approval', text) === 'reject') return reject('incomparable', text);
      reasons.push(text);
    } else {
      const comparison = await this.compare(artifactUri, champion, rule.significance);
      governance.comparison = comparison;
      const verdict = compareWithChampion(comparison, rule);
      if (verdict.outcome === 'rejected') return reject(verdict.rule === 'not-significant' ? 'not-significant' : 'not-better', verdict.reason);
      reasons.push(verdict.reason);
    }

    if (this.shift) {
      const report = await this.shift;
      governance.dataShift = {
        championVersion: champion!.version,
        violations: report.violations.length,
        details: report.violations.map((v) => `${v.feature ?? v.metric ?? '-'} ${v.checkType}: ${v.description}`),
        reportUri: report.reportUri,
      };
      if (report.violations.length) {
        const names = [...new Set(report.violations.map((v) => v.feature ?? v.metric ?? v.checkType))].join(', ');
        const text = `the new training data shifted from the champion's (version ${champion!.version}): ${report.violations.length} violated check(s) of its data-quality baseline (${names})`;
        if (act(ctx.input.config.dataShift?.onShift ?? 'require-approval', text) === 'reject') return reject('data-shift', text);
        reasons.push(text);
      }
    }
    return { verdict: { outcome: 'accepted', rule: 'passed', reason: reasons.join('; ') }, governance };
  }

  /** Both models on the challenger's validation and test rows, then the comparison job. */
  private async compare(artifactUri: string, champion: NonNullable<FoundChampion['champion']>, significance: { confidence: number; iterations: number; seed: number } | undefined) {
    const { ctx, model } = this;
    const family = model.family;
    const config = ctx.input.config;
    const resources = config.baselines.transformResources ?? config.baselines.resources;
    const score = (who: 'challenger' | 'champion', split: 'validation' | 'test') =>
      step(`step 6: score the ${split} rows with ${who === 'champion' ? `the champion v${champion.version}` : `the new ${family}`}`, ctx.jobs.scoreSplit, {
        jobName: trainingJobNames.scoreForComparison(this.ref, family, who, split),
        family,
        // Each model is served by its own algorithm (the champion's may differ from this run's).
        ...scorer(who === 'champion' ? champion.algorithm : model.algorithm, who === 'champion' ? champion.featureSchemaUri : ctx.prep.featureSchemaUri),
        artifactUri: who === 'champion' ? champion.artifactUri : artifactUri,
        splitUri: split === 'validation' ? ctx.prep.validationUri : ctx.prep.testUri,
        outputPrefix: ctx.layout.comparison(family, `${who}/${split}`),
        resources,
        maxRuntimeSeconds: config.maxJobRuntimeSeconds,
      });
    const [challengerValidation, challengerTest, championValidation, championTest] = await Promise.all([
      score('challenger', 'validation'),
      score('challenger', 'test'),
      score('champion', 'validation'),
      score('champion', 'test'),
    ]);
    this.testPredictionsUri = challengerTest;
    return step(`step 6: compare ${family} with the champion v${champion.version} on the same rows`, ctx.jobs.compareModels, {
      jobName: trainingJobNames.comparison(this.ref, family),
      champion: { version: champion.version, modelName: champion.modelName },
      challengerValidation,
      championValidation,
      challengerTest,
      championTest,
      outputPrefix: ctx.layout.comparison(family, 'report'),
      ...(significance ? { bootstrap: significance } : {}),
      resources: config.baselines.resources,
      maxRuntimeSeconds: config.maxJobRuntimeSeconds,
    });
  }
}

/** The serving fields of a scoring input: a project's algorithm, and the schema a bring-your-own transform reads. */
function scorer(algorithm: AlgorithmSpec | undefined, featureSchemaUri: string): { algorithm?: AlgorithmSpec; featureSchemaUri?: string } {
  if (!algorithm) return {};
  return algorithm.kind === 'byo' ? { algorithm, featureSchemaUri } : { algorithm };
}
