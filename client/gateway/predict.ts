import { randomUUID } from 'node:crypto';
import type { ModelFamily } from '../../common/types/model';
import type { DeployedChampion } from './champions';
import { combine, CombinerError, type NamedCombiner } from './combiners';
import type { GatewayMetrics } from './gateway-metrics';
import { EndpointCallError, type EndpointInvoker } from './endpoint-client';
import type { FairLanes } from './fair-lanes';
import { PayloadError, type OutOfRangeFlag } from './feature-vector';
import { prepareRecord, type ParsedRecord } from './payload';
import type { ServingModel, ServingModels } from './serving-models';

export interface RecordAnswer {
  inferenceId: string;
  prediction: number;
  models: Partial<Record<ModelFamily, number>>;
  /** Per record only when one request was served by two versions of a family (a switch mid-request). */
  modelVersions?: Partial<Record<ModelFamily, string>>;
  ids?: Record<string, unknown>;
  unavailable?: ModelFamily[];
  outOfRange?: OutOfRangeFlag[];
}

export type PredictOutcome =
  | { kind: 'ok'; predictions: RecordAnswer[]; modelVersions: Partial<Record<ModelFamily, string>>; degraded: { family: ModelFamily; reason: string }[] }
  | { kind: 'unavailable'; unavailable: { family: ModelFamily; reason: string }[] };

/** A family's answer for one record: the prediction and the model that made it, or why there is none. */
type FamilyResult = { prediction: number; model: ServingModel; prepared: ParsedRecord } | { error: EndpointCallError; prepared: ParsedRecord };

/** How often one record is sent again when the endpoint turned out to run a model with another feature schema. */
const MAX_SCHEMA_SWITCHES = 2;

/** Requests with more records are bulk: together they get the lanes' bulk budget (fair-lanes.ts). */
export const BULK_RECORDS = 8;

/**
 * The prediction use case: each record goes to every champion's endpoint under one inference id,
 * through the endpoint's fair lane (bounded concurrency, shared between requests; requests of more
 * than BULK_RECORDS records share a smaller budget), and each answer
 * is labelled with the model the endpoint says served it. When that model reads another feature
 * schema than the one the record was prepared with (the endpoint switched), the record is prepared
 * again for it and, if its features differ, sent again; later records use the new schema at once.
 */
export class Predictor {
  /** The model last seen answering on each endpoint, and a counter of changes to ignore answers to calls started before. */
  private readonly current = new Map<string, { model: ServingModel; seq: number }>();
  private seq = 0;

  constructor(
    private readonly endpoints: EndpointInvoker,
    private readonly lanes: FairLanes,
    private readonly serving: ServingModels,
    private readonly metrics?: GatewayMetrics,
  ) {}

  /** The model the gateway expects on the champion's endpoint (what it last saw there, else the champion record's). */
  expected(c: DeployedChampion): ServingModel {
    return this.current.get(c.endpointName)?.model ?? { family: c.family, modelName: c.modelName, modelVersion: c.modelVersion, featureSchemaUri: c.featureSchemaUri, schema: c.schema };
  }

  /** `abandoned`: the caller went away; its calls still waiting for a slot are not sent. */
  async predict(deployed: DeployedChampion[], records: Record<string, unknown>[], combiner: NamedCombiner, abandoned?: AbortSignal): Promise<PredictOutcome> {
    const request = { bulk: records.length > BULK_RECORDS };
    // Per schema, each record prepared once; the first schemas are prepared before any call, so a
    // rejected record reaches no endpoint.
    const preparedBySchema = new Map<string, (ParsedRecord | undefined)[]>();
    const prepared = (model: ServingModel, i: number): ParsedRecord => {
      let list = preparedBySchema.get(model.featureSchemaUri);
      if (!list) preparedBySchema.set(model.featureSchemaUri, (list = []));
      return (list[i] ??= prepareRecord(records[i]!, model.schema, i));
    };
    for (const c of deployed) records.forEach((_, i) => prepared(this.expected(c), i));

    const failedFor = new Map<string, EndpointCallError>();
    const callFamily = async (c: DeployedChampion, i: number, inferenceId: string): Promise<FamilyResult> => {
      let model = this.expected(c);
      for (let switches = 0; ; switches++) {
        const record = prepared(model, i);
        const failed = failedFor.get(c.endpointName);
        if (failed) return { error: failed, prepared: record };
        const startedAt = this.seq;
        const began = performance.now();
        try {
          const answer = await this.lanes.lane(c.endpointName).run(request, () => {
            const down = failedFor.get(c.endpointName);
            if (down) return Promise.reject(down);
            if (abandoned?.aborted) return Promise.reject(new EndpointCallError(c.endpointName, 'the caller went away before this record was sent', 'unavailable'));
            return this.endpoints.invoke(c.endpointName, record.features.join(','), inferenceId);
          });
          const served = await this.serving.resolve(c.family, c.endpointName, answer.variant);
          this.observe(c.endpointName, served, startedAt);
          this.metrics?.answered(c.endpointName, answer.variant ?? served.modelName, (performance.now() - began) / 1000, answer.prediction, served.schema);
          if (served.featureSchemaUri === model.featureSchemaUri) return { prediction: answer.prediction, model: served, prepared: record };
          const again = prepared(served, i);
          if (sameFeatures(again.features, record.features)) return { prediction: answer.prediction, model: served, prepared: again };
          if (switches >= MAX_SCHEMA_SWITCHES) throw new EndpointCallError(c.endpointName, `${c.endpointName} kept switching models while record ${i} was sent`, 'unavailable');
          model = served;
        } catch (err) {
          if (!(err instanceof EndpointCallError)) throw err;
          this.metrics?.failed(c.endpointName, err.kind, (performance.now() - began) / 1000);
          // The endpoint is down or slow for this request: its other records fail at once instead of waiting their turn.
          if (err.kind === 'timeout' || err.kind === 'unavailable') failedFor.set(c.endpointName, err);
          return { error: err, prepared: record };
        }
      }
    };

    const unavailable = new Map<ModelFamily, string>();
    const answers = await Promise.all(
      records.map(async (_, i): Promise<{ answer: RecordAnswer; versions: Partial<Record<ModelFamily, string>> }> => {
        const inferenceId = randomUUID();
        const results = await Promise.all(deployed.map(async (c) => [c, await callFamily(c, i, inferenceId)] as const));
        const models: Partial<Record<ModelFamily, number>> = {};
        const versions: Partial<Record<ModelFamily, string>> = {};
        const flags = new Map<string, OutOfRangeFlag>();
        for (const [c, result] of results) {
          for (const flag of result.prepared.outOfRange) flags.set(flag.field, flag);
          if ('error' in result) continue;
          models[c.family] = result.prediction;
          versions[c.family] = result.model.modelVersion;
        }
        for (const [c, result] of results) {
          if (!('error' in result)) continue;
          if (result.error.kind === 'non-finite' && flags.size > 0) {
            // The model broke on a value it never saw in training: the record is at fault, not the endpoint.
            const fields = [...flags.values()].map((f) => `'${f.field}' ${f.value} (training range ${f.trainingRange[0]}..${f.trainingRange[1]})`).join(', ');
            throw new PayloadError(`record ${i}: ${c.family} gave no finite prediction for values outside the training range: ${fields}`);
          }
          unavailable.set(c.family, result.error.message);
        }
        const missing = deployed.filter((c) => models[c.family] === undefined).map((c) => c.family);
        let prediction = Number.NaN;
        try {
          if (Object.keys(models).length) prediction = combine(combiner, models);
        } catch (err) {
          // A combiner that needs a model which did not answer (model:<family>): the endpoint is
          // unavailable (503), the request is not at fault.
          if (!(err instanceof CombinerError) || missing.length === 0) throw err;
        }
        const ids = results[0]![1].prepared.ids;
        const answer: RecordAnswer = {
          inferenceId,
          prediction,
          models,
          ...(Object.keys(ids).length ? { ids } : {}),
          ...(missing.length ? { unavailable: missing } : {}),
          ...(flags.size ? { outOfRange: [...flags.values()] } : {}),
        };
        return { answer, versions };
      }),
    );
    const degraded = [...unavailable.entries()].map(([family, reason]) => ({ family, reason }));
    if (answers.some((a) => Number.isNaN(a.answer.prediction))) return { kind: 'unavailable', unavailable: degraded };
    return { kind: 'ok', predictions: labelVersions(answers), modelVersions: uniformVersions(answers.map((a) => a.versions)), degraded };
  }

  /** Remembers the model an endpoint answered with, unless the call started before the last change seen there. */
  private observe(endpointName: string, model: ServingModel, startedAt: number): void {
    const known = this.current.get(endpointName);
    if (known?.model.modelName === model.modelName) return;
    if (known && startedAt < known.seq) return;
    this.current.set(endpointName, { model, seq: ++this.seq });
  }
}

function sameFeatures(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, j) => v === b[j]);
}

/** Per family, the version that served every record of the request (families served by two versions are left out). */
function uniformVersions(perRecord: Partial<Record<ModelFamily, string>>[]): Partial<Record<ModelFamily, string>> {
  const seen = new Map<ModelFamily, Set<string>>();
  for (const versions of perRecord) {
    for (const [family, version] of Object.entries(versions) as [ModelFamily, string][]) {
      if (!seen.has(family)) seen.set(family, new Set());
      seen.get(family)!.add(version);
    }
  }
  return Object.fromEntries([...seen].filter(([, set]) => set.size === 1).map(([family, set]) => [family, [...set][0]!]));
}

/** Each record carries its own versions only when the request's records were not all served by the same ones. */
function labelVersions(answers: { answer: RecordAnswer; versions: Partial<Record<ModelFamily, string>> }[]): RecordAnswer[] {
  const mixed = new Set(answers.map((a) => JSON.stringify(Object.entries(a.versions).sort()))).size > 1;
  return answers.map((a) => (mixed ? { ...a.answer, modelVersions: a.versions } : a.answer));
}
