import type { AlgorithmSpec } from '../../common/types/algorithm';
import { processingInput, processingInputDir, processingOutput, processingOutputDir } from '../../common/container-contract';
import { invalidInput, notFound } from '../../common/errors';
import { featureSchemaSchema, type FeatureSchema } from '../../common/schemas/feature-schema';
import type { BaselineUris, ModelFamily } from '../../common/types/model';
import type { ChampionComparison } from '../../common/types/governance';
import type { RegressionMetrics } from '../../common/types/metrics';
import type { ResourceConfig } from '../../common/types/jobs';
import { joinUri } from '../../common/uri';
import type { Backend } from '../backends/types';
import { readChampion } from '../registry/champion-store';
import { runProcessingJob } from '../shared/run-job';
import { scoreLabelledSplit, type ScoreSplitInput } from './score-split';

/** The champion a challenger is compared with (what scoring and the data-shift check need of it). */
export interface ChampionRef {
  family: ModelFamily;
  version: number;
  modelName: string;
  artifactUri: string;
  featureSchemaUri: string;
  dataQualityBaseline?: BaselineUris;
  /** What serves it (absent: the built-in its family names). */
  algorithm?: AlgorithmSpec;
}

export interface FoundChampion {
  champion: ChampionRef | null;
  /** Whether the champion's model can score the challenger's rows (the same features, in the same order). */
  comparable: boolean;
  /** Why it cannot, naming what differs. */
  reason?: string;
}

export interface CompareModelsInput {
  jobName: string;
  champion: { version: number; modelName: string };
  /** `label,prediction` prefixes of both models on the same validation (and test) rows. */
  challengerValidation: string;
  championValidation: string;
  challengerTest?: string;
  championTest?: string;
  outputPrefix: string;
  /** The paired bootstrap of the RMSE difference, when the rule asks for significance. */
  bootstrap?: { iterations: number; seed: number; confidence: number };
  resources: ResourceConfig;
  maxRuntimeSeconds: number;
}

/** Step 6 on the same rows: find the champion, score both models on the challenger's splits, compare. */
export function createChampionComparisonActivities(backend: Backend, settings: { pollIntervalMs: number }) {
  async function schemaOf(uri: string, whose: string): Promise<FeatureSchema> {
    let text: string;
    try {
      text = (await backend.objectStore.get(uri)).toString('utf8');
    } catch (err) {
      throw notFound(`the feature schema of ${whose} (${uri}) cannot be read: ${(err as Error).message}`);
    }
    const parsed = featureSchemaSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw invalidInput(`the feature schema of ${whose} (${uri}) is not valid: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  return {
    /**
     * The family's champion, and whether its model can score the challenger's rows: it needs the
     * same label and the same features in the same order (the rows reach it as they are).
     */
    async findChampion(input: { family: ModelFamily; featureSchemaUri: string; project?: string }): Promise<FoundChampion> {
      const champion = await readChampion(backend.parameters, input.family, input.project);
      if (!champion) return { champion: null, comparable: false };
      const ref: ChampionRef = {
        family: champion.family,
        version: champion.modelVersion,
        modelName: champion.modelName,
        artifactUri: champion.modelArtifactUri,
        featureSchemaUri: champion.featureSchemaUri,
        ...(champion.dataQualityBaseline ? { dataQualityBaseline: champion.dataQualityBaseline } : {}),
        ...(champion.algorithm ? { algorithm: champion.algorithm } : {}),
      };
      const [theirs, ours] = await Promise.all([schemaOf(ref.featureSchemaUri, `${input.family} champion v${ref.version}`), schemaOf(input.featureSchemaUri, 'the new training data')]);
      const reason = incompatibility(theirs, ours, ref.version);
      return reason ? { champion: ref, comparable: false, reason } : { champion: ref, comparable: true };
    },

    /** One model on one labelled split (`label,prediction` per line), for the comparison. */
    async scoreSplit(input: ScoreSplitInput): Promise<string> {
      return scoreLabelledSplit(backend.jobs, settings.pollIntervalMs, input);
    },

    /** The comparison job (model-monitor image, `model-comparison`): both models' metrics on the same rows, the bootstrap. */
    async compareModels(input: CompareModelsInput): Promise<ChampionComparison> {
      const outputPrefix = input.outputPrefix.endsWith('/') ? input.outputPrefix : `${input.outputPrefix}/`;
      const sources = [
        ['challenger_validation', input.challengerValidation],
        ['champion_validation', input.championValidation],
        ...(input.challengerTest && input.championTest ? [['challenger_test', input.challengerTest] as const, ['champion_test', input.championTest] as const] : []),
      ] as const;
      await runProcessingJob(backend.jobs, settings.pollIntervalMs, {
            jobName: input.jobName,
            image: 'model-monitor',
            arguments: ['model-comparison'],
            environment: {
              ...Object.fromEntries(sources.map(([name]) => [name, processingInputDir(name)])),
              output_path: processingOutputDir(),
              bootstrap_iterations: String(input.bootstrap?.iterations ?? 0),
              bootstrap_seed: String(input.bootstrap?.seed ?? 0),
              confidence: String(input.bootstrap?.confidence ?? 0.95),
            },
            inputs: sources.map(([name, s3Uri]) => processingInput(name, s3Uri)),
            outputs: [processingOutput('comparison', outputPrefix, processingOutputDir())],
            resources: input.resources,
            maxRuntimeSeconds: input.maxRuntimeSeconds,
          });
      const reportUri = joinUri(outputPrefix, 'comparison.json');
      return toComparison(JSON.parse((await backend.objectStore.get(reportUri)).toString('utf8')) as RawComparison, input.champion, reportUri);
    },
  };
}

/** Why the champion's model cannot score rows of the new schema; undefined when it can. */
export function incompatibility(champion: FeatureSchema, challenger: FeatureSchema, championVersion: number): string | undefined {
  if (champion.label.name !== challenger.label.name) {
    return `the champion (version ${championVersion}) predicts '${champion.label.name}' and the new data's label is '${challenger.label.name}'`;
  }
  const theirs = champion.features.map((f) => f.name);
  const ours = challenger.features.map((f) => f.name);
  if (theirs.length === ours.length && theirs.every((n, i) => n === ours[i])) return undefined;
  const missing = theirs.filter((n) => !ours.includes(n));
  const added = ours.filter((n) => !theirs.includes(n));
  const what = [missing.length ? `without ${missing.join(', ')}` : '', added.length ? `with new ${added.join(', ')}` : '', !missing.length && !added.length ? 'in another order' : '']
    .filter(Boolean)
    .join(' and ');
  return `the champion (version ${championVersion}) was trained on other features: the new data's features come ${what}, so its model cannot score these rows`;
}

interface RawMetrics {
  rmse: number;
  mae: number;
  r2: number | null;
}

interface RawComparison {
  rows: { validation: number; test?: number };
  challenger: { validation: RawMetrics; test?: RawMetrics };
  champion: { validation: RawMetrics; test?: RawMetrics };
  difference: { value: number; relative: number | null };
  bootstrap?: { iterations: number; seed: number; confidence: number; difference_low: number; difference_high: number; probability_challenger_better: number };
}

function metrics(m: RawMetrics): RegressionMetrics {
  return { rmse: m.rmse, mae: m.mae, ...(m.r2 === null || m.r2 === undefined ? {} : { r2: m.r2 }) };
}

function splits(s: { validation: RawMetrics; test?: RawMetrics }): { validation: RegressionMetrics; test?: RegressionMetrics } {
  return { validation: metrics(s.validation), ...(s.test ? { test: metrics(s.test) } : {}) };
}

function toComparison(raw: RawComparison, champion: { version: number; modelName: string }, reportUri: string): ChampionComparison {
  const b = raw.bootstrap;
  return {
    championVersion: champion.version,
    championModelName: champion.modelName,
    rows: raw.rows,
    challenger: splits(raw.challenger),
    champion: splits(raw.champion),
    difference: { metric: 'rmse', value: raw.difference.value, relative: raw.difference.relative },
    ...(b
      ? {
          bootstrap: {
            iterations: b.iterations,
            seed: b.seed,
            confidence: b.confidence,
            differenceLow: b.difference_low,
            differenceHigh: b.difference_high,
            probabilityChallengerBetter: b.probability_challenger_better,
          },
        }
      : {}),
    reportUri,
  };
}
