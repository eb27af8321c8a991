import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import type { EndpointStatus } from '../../activities/backends/types';
import type { PreprocessInput } from '../../activities/training/preprocess';
import type { GovernanceRecord } from '../../common/types/governance';
import type { RollbackPlan } from '../../common/types/rollback';
import type { Notification } from '../../common/types/notification';
import type { StartRetrainingInput } from '../../common/types/lifecycle';
import type { ModelFamily, SplitMetrics } from '../../common/types/model';
import type { ScoringModel } from '../../common/types/scoring';
import type { DriftAlert, DriftViolation } from '../../common/types/monitoring';
import type { ConsolidatedCapture } from '../../activities/monitoring/consolidate';
import type { DeploymentConfig, TrainingConfig, TrainingInput } from '../../common/types/training';

export function metrics(validationRmse: number, testRmse = validationRmse * 1.02): SplitMetrics {
  return {
    validation: { rmse: validationRmse, mae: validationRmse * 0.7, r2: 0.93 },
    test: { rmse: testRmse, mae: testRmse * 0.7, r2: 0.92 },
  };
}

/** Steps 9-10 as the default settings configure them (two instances, full capture). */
export const DEPLOYMENT: DeploymentConfig = {
  endpointNamePrefix: 'mlops',
  instanceType: 'ml.m5.large',
  instanceCount: 2,
  dataCapture: { enabled: true, samplingPercentage: 100, destinationUri: 's3://mlops/capture', captureModes: ['Input', 'Output'] },
};

export function trainingInput(taskQueue: string, overrides: Partial<TrainingConfig> = {}): TrainingInput {
  const resources = { instanceType: 'ml.m5.large', instanceCount: 1 };
  return {
    dataUri: 's3://mlops/training/cars.csv',
    trigger: 'test',
    config: {
      bucket: 'mlops',
      models: [
        { family: 'xgboost', hyperparameters: { num_round: '10' }, resources },
        { family: 'linear-learner', hyperparameters: { predictor_type: 'regressor' }, resources },
      ],
      split: { seed: 42, validationFraction: 0.15, testFraction: 0.15 },
      preprocessing: { resources },
      baselines: { resources },
      maxJobRuntimeSeconds: 600,
      taskQueues: { orchestration: taskQueue, compute: taskQueue },
      ...overrides,
    },
  };
}

export interface MockBehaviour {
  metrics?: Partial<Record<ModelFamily, SplitMetrics>>;
  previousBest?: Partial<Record<ModelFamily, { version: number; validationRmse: number }>>;
  preprocessError?: ApplicationFailure;
  trainingError?: Partial<Record<ModelFamily, ApplicationFailure>>;
  notifyError?: Error;
  /** Batch scoring: the champions found (default: one per family). */
  scoringModels?: ScoringModel[];
  scoringPreprocessError?: ApplicationFailure;
  /** Scoring pre-processing reports this feature count (default 17); 'unreported' as jobs before pass-through columns did. */
  scoringFeatureCount?: number | 'unreported';
  transformError?: Partial<Record<ModelFamily, ApplicationFailure>>;
  /** Monitoring: what consolidation finds (default: one real-time file, no ground truth). */
  consolidated?: Partial<ConsolidatedCapture>;
  dataViolations?: DriftViolation[];
  modelViolations?: DriftViolation[];
  noMonitoredModel?: boolean;
  /** Monitoring: the data-quality job fails with this. */
  dataQualityError?: ApplicationFailure;
  /** Lifecycle: startRetraining fails with this. */
  retrainingError?: ApplicationFailure;
  /** Runs inside the training job of a family before it returns (block it, or sleep through time). */
  duringTraining?: (family: ModelFamily) => Promise<void>;
  /** Step 3 of a family fails with this. */
  registerError?: Partial<Record<ModelFamily, ApplicationFailure>>;
  /** Step 7's model-quality baseline runs (heartbeating) until it is cancelled. */
  holdModelQualityBaseline?: boolean;
  /** Runs inside a monitor job before it returns: 'data' (each source) or 'model'. */
  duringMonitor?: (kind: 'data' | 'model') => Promise<void>;
  /** Step 6: the family's champion (absent: none); `comparable: false` when its schema differs. */
  champion?: Partial<Record<ModelFamily, { version: number; comparable?: boolean; validationRmse: number; hasBaseline?: boolean }>>;
  /** Step 6: the challenger's validation RMSE on the same rows (default: its own training metric). */
  sameRowsRmse?: Partial<Record<ModelFamily, number>>;
  /** Step 6: the bootstrap interval of the RMSE difference the comparison reports, when asked. */
  bootstrapInterval?: Partial<Record<ModelFamily, [number, number]>>;
  /** The data-shift check finds these violations against the champion's baseline. */
  shiftViolations?: DriftViolation[];
  /** Rollback: what prepareRollback finds, or the refusal it throws. */
  rollbackPlan?: RollbackPlan;
  rollbackError?: ApplicationFailure;
  /** Step 10: endpoints that exist before the run, by name (absent: none exists). */
  endpoints?: Record<string, { endpointConfigName: string; status: EndpointStatus; failureReason?: string; modelName?: string }>;
  /**
   * Step 10's deployment workflow: live traffic as its alarm readings see it. Every reading adds
   * `requestsPerReading` requests split by the variants' weights; the `failing` model (a name or its prefix) fails
   * `failShare` of its requests, the `slow` model answers in `slowMs` (others in 8 ms).
   */
  live?: { requestsPerReading?: number; failing?: string; failShare?: number; slow?: string; slowMs?: number; shadowDifference?: number };
  /** SageMaker's guardrails (aws) deploy and end so (absent: the workflow shifts traffic itself). */
  managed?: 'deployed' | 'rolled-back';
  /** aws shadow test: the shadow's error-rate alarm is in ALARM from its second reading on. */
  shadowAlarm?: boolean;
  /** Step 10: runs inside the wait for an endpoint before it ends (hold the run open). */
  duringEndpointWait?: (endpointName: string) => Promise<void>;
  /** Step 10: the wait ends with this (e.g. a DeploymentFailed after a rolled-back update). */
  endpointWaitError?: Partial<Record<string, ApplicationFailure>>;
}

/** Records what the workflow asked for, so tests can assert on calls and their order. */
export interface MockCalls {
  activities: string[];
  trained: ModelFamily[];
  decisions: { family: ModelFamily; project?: string; status: string; reason?: string; governance?: GovernanceRecord }[];
  exported: ModelFamily[];
  notifications: Notification[];
  modelQualityBaselines: ModelFamily[];
  /** Families whose model-quality baseline reused step 6's test predictions. */
  reusedTestPredictions: ModelFamily[];
  endpointConfigs: string[];
  deployed: { endpointName: string; endpointConfigName: string }[];
  raisedAlerts: DriftAlert[];
  monitorJobs: string[];
  settled: { runKey: string; outcome: 'done' | 'release' }[];
  modelQualityInputs: { capturePrefix: string; groundTruthPrefix: string }[];
  transforms: { family: ModelFamily; inputPrefix: string; outputPath: string; inputFilter: string; joinSource: string; outputFilter: string }[];
  scoringPreprocess: { featureSchemaUri: string; idColumns?: string[] }[];
  preprocessInputs: PreprocessInput[];
  retrainings: StartRetrainingInput[];
  comparisons: { family: ModelFamily; bootstrap?: { iterations: number; seed: number; confidence: number } }[];
  /** Weights set by the deployment workflow, in order (`<variant>=<weight>,...`). */
  weights: string[];
  autoscaled: string[];
  /** `<activity>:<family>:<project>:<algorithm kind>` of the activities a project's run names itself in. */
  projectInputs: string[];
}

/** Mocked activities typed as the real factory's return type, so signatures cannot drift. */
export function mockActivities(behaviour: MockBehaviour = {}): { activities: Activities; calls: MockCalls } {
  const calls: MockCalls = { activities: [], trained: [], decisions: [], exported: [], notifications: [], modelQualityBaselines: [], reusedTestPredictions: [], endpointConfigs: [], deployed: [], transforms: [], scoringPreprocess: [], preprocessInputs: [], retrainings: [], comparisons: [], raisedAlerts: [], monitorJobs: [], settled: [], modelQualityInputs: [], weights: [], autoscaled: [], projectInputs: [] };
  const versions: Partial<Record<ModelFamily, number>> = {};
  const endpoints = { ...behaviour.endpoints };
  /** Endpoint configs by name: their variants and initial weights. */
  const configs = new Map<string, { variantName: string; modelName: string; weight: number; shadow?: boolean }[]>();
  for (const e of Object.values(endpoints)) configs.set(e.endpointConfigName, [{ variantName: e.modelName ?? 'model-old', modelName: e.modelName ?? 'model-old', weight: 1 }]);
  const weights = new Map<string, Map<string, number>>();
  const counters = new Map<string, Map<string, { invocations: number; errors: number; latency: number[] }>>();
  const guarded = new Map<string, { calls: number; previous: string; target: string }>();
  const shadowReads = new Map<string, number>();
  const SHADOW_BOUNDS = [0.001, 0.01, 0.1, 1, Infinity];
  const shadowPairs = new Map<string, { pairs: number; counts: number[] }>();
  const variantsOf = (endpointName: string) => {
    const e = endpoints[endpointName];
    const spec = e ? (configs.get(e.endpointConfigName) ?? []) : [];
    const w = weights.get(endpointName);
    return spec.map((v) => ({ ...v, weight: w?.get(v.variantName) ?? v.weight }));
  };
  const job = (jobName: string) => ({ jobName, status: 'Completed' as const, durationSeconds: 1, resources: { instanceType: 'ml.m5.large', instanceCount: 1 }, adopted: false });
  const activities: Activities = {
    async runPreprocessingJob(input) {
      calls.activities.push('runPreprocessingJob');
      calls.preprocessInputs.push(input);
      if (behaviour.preprocessError) throw behaviour.preprocessError;
      return {
        trainUri: `${input.outputPrefix}/train/`,
        validationUri: `${input.outputPrefix}/validation/`,
        testUri: `${input.outputPrefix}/test/`,
        featureSchemaUri: `${input.outputPrefix}/schema/feature-schema.json`,
        job: job(input.jobName),
      };
    },
    async runTrainingJob(input) {
      calls.activities.push(`runTrainingJob:${input.family}`);
      calls.projectInputs.push(`runTrainingJob:${input.family}:-:${input.algorithm?.kind ?? '-'}`);
      calls.trained.push(input.family);
      const error = behaviour.trainingError?.[input.family];
      if (error) throw error;
      await behaviour.duringTraining?.(input.family);
      return { artifactUri: `${input.outputPath}/${input.jobName}/output/model.tar.gz`, job: job(input.jobName) };
    },
    async readTrainingMetrics(input) {
      calls.activities.push(`readTrainingMetrics:${input.family}`);
      return behaviour.metrics?.[input.family] ?? metrics(2300);
    },
    async computeDataQualityBaseline(input) {
      calls.activities.push('computeDataQualityBaseline');
      return { statisticsUri: `${input.outputPrefix}statistics.json`, constraintsUri: `${input.outputPrefix}constraints.json` };
    },
    async computeModelQualityBaseline(input) {
      calls.activities.push(`computeModelQualityBaseline:${input.family}`);
      calls.modelQualityBaselines.push(input.family);
      if (input.testPredictionsUri) calls.reusedTestPredictions.push(input.family);
      if (behaviour.holdModelQualityBaseline) {
        const ctx = Context.current();
        for (;;) {
          ctx.heartbeat();
          try {
            await ctx.sleep(50);
          } catch (err) {
            calls.activities.push(`cancelled:computeModelQualityBaseline:${input.family}`);
            throw err;
          }
        }
      }
      return { statisticsUri: `${input.outputPrefix}statistics.json`, constraintsUri: `${input.outputPrefix}constraints.json` };
    },
    async registerModelVersion(input) {
      calls.activities.push(`registerModelVersion:${input.family}`);
      calls.projectInputs.push(`registerModelVersion:${input.family}:${input.project ?? '-'}:${input.algorithm?.kind ?? '-'}`);
      const registerError = behaviour.registerError?.[input.family];
      if (registerError) throw registerError;
      versions[input.family] = (versions[input.family] ?? 0) + 1;
      return { version: versions[input.family]!, modelName: input.modelName };
    },
    async findPreviousBest(input) {
      calls.activities.push(`findPreviousBest:${input.family}`);
      return behaviour.previousBest?.[input.family] ?? null;
    },
    async recordModelDecision(input) {
      calls.activities.push(`recordModelDecision:${input.family}`);
      calls.decisions.push({ family: input.family, ...(input.project ? { project: input.project } : {}), status: input.status, reason: input.decision?.reason, ...(input.governance ? { governance: input.governance } : {}) });
    },
    async exportChampionConfig(input) {
      calls.activities.push(`exportChampionConfig:${input.family}`);
      // Step 11 in one activity records the approval first, as the real one does.
      if (input.approval) calls.decisions.push({ family: input.family, status: 'Approved', reason: input.approval.decision?.reason, ...(input.approval.governance ? { governance: input.approval.governance } : {}) });
      calls.projectInputs.push(`exportChampionConfig:${input.family}:${input.project ?? '-'}:-`);
      calls.exported.push(input.family);
      return [`/mlops/${input.family}/champion/model-name`];
    },
    async createEndpointConfig(input) {
      calls.activities.push(`createEndpointConfig:${input.family}`);
      calls.endpointConfigs.push(input.endpointConfigName);
      configs.set(input.endpointConfigName, [{ variantName: input.modelName, modelName: input.modelName, weight: 1 }]);
      return { alreadyExisted: false };
    },
    async prepareDeployment(input) {
      calls.activities.push(`prepareDeployment:${input.endpointName}`);
      const [target] = configs.get(input.targetConfigName) ?? [{ variantName: 'model-new', modelName: 'model-new', weight: 1 }];
      const e = endpoints[input.endpointName];
      const v = (x: { variantName: string; modelName: string; weight: number }) => ({ ...x, instanceType: 'ml.m5.large', instanceCount: 1 });
      return {
        mode: behaviour.managed ? ('managed' as const) : ('driven' as const),
        target: { variantName: target!.variantName, modelName: target!.modelName, instanceType: 'ml.m5.large', instanceCount: 1 },
        current: e ? { endpointConfigName: e.endpointConfigName, status: e.status, lastModifiedTime: '2026-01-01T00:00:00Z', variants: variantsOf(input.endpointName).map(v), shadowVariants: [] } : null,
      };
    },
    async createTransitionConfig(input) {
      calls.activities.push(`createTransitionConfig:${input.endpointName}`);
      configs.set(input.endpointConfigName, [
        ...input.variants.map((x) => ({ variantName: x.variantName, modelName: x.modelName, weight: x.weight })),
        ...(input.shadowVariants ?? []).map((x) => ({ variantName: x.variantName, modelName: x.modelName, weight: x.weight, shadow: true })),
      ]);
      return { alreadyExisted: false };
    },
    async shiftTraffic(input) {
      calls.activities.push(`shiftTraffic:${input.endpointName}`);
      if (endpoints[input.endpointName]?.endpointConfigName !== input.endpointConfigName) throw ApplicationFailure.nonRetryable(`endpoint serves another config than ${input.endpointConfigName}`, 'Conflict');
      weights.set(input.endpointName, new Map(input.weights.map((w) => [w.variantName, w.weight])));
      calls.weights.push(input.weights.map((w) => `${w.variantName}=${w.weight}`).join(','));
    },
    async readDeploymentMetrics(input) {
      calls.activities.push(`readDeploymentMetrics:${input.endpointName}`);
      const live = behaviour.live ?? {};
      const variants = variantsOf(input.endpointName);
      const total = variants.filter((v) => !v.shadow).reduce((a, v) => a + v.weight, 0) || 1;
      const perReading = live.requestsPerReading ?? 200;
      const byVariant = counters.get(input.endpointName) ?? new Map<string, { invocations: number; errors: number; latency: number[] }>();
      counters.set(input.endpointName, byVariant);
      const bounds = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, Infinity];
      for (const v of variants) {
        const c = byVariant.get(v.variantName) ?? { invocations: 0, errors: 0, latency: bounds.map(() => 0) };
        const n = Math.round(v.shadow ? perReading * v.weight : (perReading * v.weight) / total);
        if (v.shadow) {
          const pairs = shadowPairs.get(v.variantName) ?? { pairs: 0, counts: SHADOW_BOUNDS.map(() => 0) };
          pairs.pairs += n;
          pairs.counts = pairs.counts.map((count, i) => count + ((live.shadowDifference ?? 0.001) <= SHADOW_BOUNDS[i]! ? n : 0));
          shadowPairs.set(v.variantName, pairs);
        }
        c.invocations += n;
        if (live.failing && v.modelName.startsWith(live.failing)) c.errors += Math.round(n * (live.failShare ?? 0.5));
        const seconds = (live.slow && v.modelName.startsWith(live.slow) ? (live.slowMs ?? 2000) : 8) / 1000;
        c.latency = c.latency.map((count, i) => count + (seconds <= bounds[i]! ? n : 0));
        byVariant.set(v.variantName, c);
      }
      return {
        endpointName: input.endpointName,
        takenAt: new Date().toISOString(),
        startedAt: 1,
        variants: [...byVariant.entries()].map(([variantName, c]) => ({ variantName, role: variants.find((v) => v.variantName === variantName)?.shadow ? ('shadow' as const) : ('production' as const), invocations: c.invocations, errors: c.errors, latencySeconds: { bounds, counts: c.latency, sum: 0, count: c.latency[c.latency.length - 1]! } })),
        shadow: [...shadowPairs.entries()].map(([variantName, p]) => ({ variantName, pairs: p.pairs, dropped: 0, relativeDifference: { bounds: SHADOW_BOUNDS, counts: p.counts, sum: 0, count: p.pairs } })),
        problems: [],
      };
    },
    async registerAutoscaling(input) {
      calls.activities.push(`registerAutoscaling:${input.endpointName}`);
      calls.autoscaled.push(`${input.endpointName}/${input.variantName}:${input.policy.minInstances}-${input.policy.maxInstances}`);
    },
    async deregisterAutoscaling(input) {
      calls.activities.push(`deregisterAutoscaling:${input.endpointName}`);
    },
    async putRollbackAlarms(input) {
      calls.activities.push(`putRollbackAlarms:${input.endpointName}`);
      return { alarmNames: [`${input.deploymentKey}-errors`, `${input.deploymentKey}-latency`], abortAlarmName: `${input.deploymentKey}-abort` };
    },
    async startGuardedUpdate(input) {
      calls.activities.push(`startGuardedUpdate:${input.endpointName}`);
      calls.deployed.push({ endpointName: input.endpointName, endpointConfigName: input.endpointConfigName });
      guarded.set(input.endpointName, { calls: 0, previous: endpoints[input.endpointName]!.endpointConfigName, target: input.endpointConfigName });
      endpoints[input.endpointName] = { ...endpoints[input.endpointName]!, status: 'Updating' };
    },
    async describeGuardedDeployment(input) {
      calls.activities.push(`describeGuardedDeployment:${input.endpointName}`);
      const g = guarded.get(input.endpointName);
      if (!g) {
        // No guarded update yet: a shadow test on aws reads its alarms.
        shadowReads.set(input.endpointName, (shadowReads.get(input.endpointName) ?? 0) + 1);
        const tripped = behaviour.shadowAlarm && shadowReads.get(input.endpointName)! > 1;
        const e = endpoints[input.endpointName]!;
        return { status: e.status, endpointConfigName: e.endpointConfigName, lastModifiedTime: '2026-01-01T00:00:00Z', alarms: input.alarmNames.map((alarmName) => ({ alarmName, state: tripped && alarmName.endsWith('-errors') ? ('ALARM' as const) : ('OK' as const), reason: 'test' })) };
      }
      g.calls += 1;
      const rolledBack = behaviour.managed === 'rolled-back';
      const alarms = input.alarmNames.map((alarmName) => ({ alarmName, state: rolledBack && alarmName.endsWith('-errors') && g.calls > 1 ? ('ALARM' as const) : ('OK' as const), reason: 'test' }));
      if (g.calls < 2) return { status: 'Updating' as const, endpointConfigName: g.previous, lastModifiedTime: '2026-01-01T00:00:00Z', alarms };
      const endpointConfigName = rolledBack ? g.previous : g.target;
      endpoints[input.endpointName] = { ...endpoints[input.endpointName]!, endpointConfigName, status: 'InService' };
      return { status: 'InService' as const, endpointConfigName, lastModifiedTime: '2026-01-01T00:10:00Z', ...(rolledBack ? { failureReason: 'alarm tripped' } : {}), alarms };
    },
    async tripRollbackAlarm(input) {
      calls.activities.push(`tripRollbackAlarm:${input.alarmName}`);
    },
    async deleteRollbackAlarms() {
      calls.activities.push('deleteRollbackAlarms');
    },
    async restoreAutoscaling(input) {
      calls.activities.push(`restoreAutoscaling:${input.endpointName}`);
      return { restored: [] };
    },
    async deployEndpoint(input) {
      calls.activities.push(`deployEndpoint:${input.endpointName}`);
      calls.deployed.push(input);
      return { ...input, action: 'created' as const };
    },
    async findChampion(input) {
      calls.activities.push(`findChampion:${input.family}`);
      const c = behaviour.champion?.[input.family];
      if (!c) return { champion: null, comparable: false };
      const champion = {
        family: input.family,
        version: c.version,
        modelName: `model-${input.family}-${c.version}`,
        artifactUri: `s3://mlops/champions/${input.family}-${c.version}.tar.gz`,
        featureSchemaUri: 's3://mlops/champion/feature-schema.json',
        ...(c.hasBaseline === false ? {} : { dataQualityBaseline: { statisticsUri: 's3://mlops/champion/statistics.json', constraintsUri: 's3://mlops/champion/constraints.json' } }),
      };
      return c.comparable === false ? { champion, comparable: false, reason: `the champion (version ${c.version}) was trained on other features` } : { champion, comparable: true };
    },
    async scoreSplit(input) {
      calls.activities.push(`scoreSplit:${input.family}:${input.artifactUri.includes('/champions/') ? 'champion' : 'challenger'}:${input.splitUri.split('/').filter(Boolean).pop()}`);
      return input.outputPrefix;
    },
    async compareModels(input) {
      const family = (Object.keys(behaviour.champion ?? {}) as ModelFamily[]).find((f) => input.championValidation.includes(`/${f}/`)) ?? 'xgboost';
      calls.activities.push(`compareModels:${family}`);
      calls.comparisons.push({ family, bootstrap: input.bootstrap });
      const champion = behaviour.champion?.[family]?.validationRmse ?? 2500;
      const ours = behaviour.sameRowsRmse?.[family] ?? (behaviour.metrics?.[family] ?? metrics(2300)).validation.rmse;
      const interval = behaviour.bootstrapInterval?.[family];
      return {
        championVersion: input.champion.version,
        championModelName: input.champion.modelName,
        rows: { validation: 120, test: 121 },
        challenger: { validation: { rmse: ours, mae: ours * 0.7 }, test: { rmse: ours * 1.02, mae: ours * 0.71 } },
        champion: { validation: { rmse: champion, mae: champion * 0.7 }, test: { rmse: champion * 1.02, mae: champion * 0.71 } },
        difference: { metric: 'rmse', value: ours - champion, relative: (ours - champion) / champion },
        ...(input.bootstrap ? { bootstrap: { ...input.bootstrap, differenceLow: interval?.[0] ?? ours - champion - 50, differenceHigh: interval?.[1] ?? ours - champion + 50, probabilityChallengerBetter: ours < champion ? 0.9 : 0.1 } } : {}),
        reportUri: `${input.outputPrefix}comparison.json`,
      };
    },
    async prepareRollback(input) {
      calls.activities.push(`prepareRollback:${input.family}`);
      calls.projectInputs.push(`prepareRollback:${input.family}:${input.project ?? '-'}:-`);
      if (behaviour.rollbackError) throw behaviour.rollbackError;
      return behaviour.rollbackPlan ?? { target: { version: input.toVersion ?? 1, modelName: `model-${input.family}-1`, status: 'Approved' } };
    },
    async describeEndpointState(input) {
      calls.activities.push(`describeEndpointState:${input.endpointName}`);
      const found = endpoints[input.endpointName];
      return found ? { endpointName: input.endpointName, lastModifiedTime: '2026-01-01T00:00:00Z', ...found } : null;
    },
    async deleteFailedEndpoint(input) {
      calls.activities.push(`deleteFailedEndpoint:${input.endpointName}`);
      delete endpoints[input.endpointName];
    },
    async createEndpoint(input) {
      calls.activities.push(`createEndpoint:${input.endpointName}`);
      calls.deployed.push(input);
      endpoints[input.endpointName] = { endpointConfigName: input.endpointConfigName, status: 'Creating' };
    },
    async updateEndpoint(input) {
      calls.activities.push(`updateEndpoint:${input.endpointName}`);
      calls.deployed.push(input);
      endpoints[input.endpointName] = { endpointConfigName: input.endpointConfigName, status: 'Updating' };
    },
    async waitForEndpoint(input) {
      calls.activities.push(`waitForEndpoint:${input.endpointName}`);
      await behaviour.duringEndpointWait?.(input.endpointName);
      const error = behaviour.endpointWaitError?.[input.endpointName];
      if (error) throw error;
      endpoints[input.endpointName] = { endpointConfigName: input.endpointConfigName, status: 'InService' };
      weights.delete(input.endpointName);
    },
    async resolveScoringModels(input) {
      calls.activities.push('resolveScoringModels');
      const all = behaviour.scoringModels ?? (['xgboost', 'linear-learner'] as const).map((family) => ({ family, modelName: `model-${family}`, modelVersion: 1, artifactUri: `s3://mlops/models/${family}/model.tar.gz`, featureSchemaUri: 's3://mlops/schema/feature-schema.json' }));
      const chosen = input.families ? all.filter((m) => input.families!.includes(m.family)) : all;
      if (chosen.length === 0) throw ApplicationFailure.nonRetryable('no approved model to score with', 'NotFound');
      return chosen;
    },
    async runScoringPreprocessingJob(input) {
      calls.activities.push('runScoringPreprocessingJob');
      if (behaviour.scoringPreprocessError) throw behaviour.scoringPreprocessError;
      calls.scoringPreprocess.push({ featureSchemaUri: input.featureSchemaUri, ...(input.idColumns ? { idColumns: input.idColumns } : {}) });
      const featureCount = behaviour.scoringFeatureCount ?? 17;
      const result = { featuresPrefix: `${input.outputPrefix}/features/`, featureCount: featureCount === 'unreported' ? 17 : featureCount, job: job(input.jobName) };
      if (featureCount === 'unreported') delete (result as Partial<typeof result>).featureCount;
      return result;
    },
    async runBatchTransformJob(input) {
      calls.activities.push(`runBatchTransformJob:${input.model.family}`);
      const error = behaviour.transformError?.[input.model.family];
      if (error) throw error;
      calls.transforms.push({ family: input.model.family, inputPrefix: input.inputPrefix, outputPath: input.outputPath, ...input.dataProcessing });
      return { outputUris: [`${input.outputPath}cars.csv.out`], captureUris: [`${input.capture.destinationUri}cars.csv.captured.csv`], job: job(input.jobName) };
    },
    async resolveMonitoredModel(input) {
      calls.activities.push('resolveMonitoredModel');
      if (behaviour.noMonitoredModel) throw ApplicationFailure.nonRetryable(`no approved ${input.family} model with baselines to monitor`, 'NotFound');
      return { family: input.family, modelName: `model-${input.family}`, modelVersion: 3, endpointName: `mlops-${input.family}`, featureSchemaUri: 's3://mlops/schema.json', dataQualityStatisticsUri: 's3://mlops/dq/statistics.json', dataQualityConstraintsUri: 's3://mlops/dq/constraints.json', modelQualityConstraintsUri: 's3://mlops/mq/constraints.json' };
    },
    async consolidateCapture(input) {
      calls.activities.push(`consolidateCapture:${input.runKey}`);
      return { filesRead: 1, realtimePrefix: 's3://mlops/monitoring/in/capture/', windowStart: '2026-01-01T00:00:00.000Z', windowEnd: '2026-01-01T01:00:00.000Z', ...behaviour.consolidated };
    },
    async settleCapture(input) {
      calls.settled.push({ runKey: input.runKey, outcome: input.outcome });
      return { quarantined: [] };
    },
    async runDataQualityMonitor(input) {
      calls.activities.push(`runDataQualityMonitor:${input.source.format}`);
      calls.monitorJobs.push(input.jobName);
      if (input.source.format === 'training-split') return { evaluated: true, source: 'training' as const, dataUri: input.source.prefix, reportUri: input.outputPrefix, violations: behaviour.shiftViolations ?? [] };
      if (behaviour.dataQualityError) throw behaviour.dataQualityError;
      await behaviour.duringMonitor?.('data');
      return { evaluated: true, reportUri: input.outputPrefix, violations: behaviour.dataViolations ?? [] };
    },
    async runModelQualityMonitor(input) {
      calls.activities.push('runModelQualityMonitor');
      calls.monitorJobs.push(input.jobName);
      calls.modelQualityInputs.push({ capturePrefix: input.capturePrefix, groundTruthPrefix: input.groundTruthPrefix });
      await behaviour.duringMonitor?.('model');
      return { evaluated: true, reportUri: input.outputPrefix, violations: behaviour.modelViolations ?? [] };
    },
    async writeDriftRecords(input) {
      calls.activities.push(`writeDriftRecords:${input.reports.length}`);
      return `${input.outputPrefix}/drift-records.jsonl`;
    },
    async raiseDriftAlert(alert) {
      calls.activities.push('raiseDriftAlert');
      calls.raisedAlerts.push(alert);
      return { lifecycleWorkflowId: `lifecycle/${alert.family}` };
    },
    async startRetraining(input) {
      calls.activities.push(`startRetraining:${input.family}`);
      if (behaviour.retrainingError) throw behaviour.retrainingError;
      calls.retrainings.push(input);
      return { workflowId: `training/mlops/${input.family}.csv@etag/run-${input.runName}`, started: true };
    },
    async notify(notification) {
      calls.activities.push(`notify:${notification.kind}`);
      if (behaviour.notifyError) throw behaviour.notifyError;
      calls.notifications.push(notification);
      return { delivered: true };
    },
  };
  return { activities, calls };
}
