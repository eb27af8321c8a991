import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LocalObjectStore } from '../../../../activities/backends/local/object-store';
import { LocalParameterStore } from '../../../../activities/backends/local/parameter-store';
import { loadOperatorCombiner, requestCombiner } from '../../../../client/gateway/combiners';
import { buildGatewayServer, type GatewayOptions } from '../../../../client/gateway/server';
import { writeChampion } from '../../../../activities/registry/champion-store';
import type { EndpointDescription } from '../../../../activities/backends/types';
import type { ModelFamily, ModelVersion } from '../../../../common/types/model';
import { refusedUrl, startFakeRuntime, type FakeRuntime } from '../../../helpers/fake-sagemaker-runtime';
import { parsePrometheusText } from '../../../../activities/backends/prometheus-text';
import { sanityFromGateway } from '../../../../activities/backends/local/endpoint-metrics';
import { csvRow, USED_CAR_ROW, USED_CARS_FEATURES, usedCar, usedCarsFeatureSchemaDocument } from '../../../helpers/gateway-fixtures';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

/** The demo project's families (the records below are indexed by them). */
type DemoFamily = 'xgboost' | 'linear-learner';
const ENDPOINT: Record<DemoFamily, string> = { xgboost: 'used-cars-xgboost', 'linear-learner': 'used-cars-linear-learner' };
const VERSION: Record<DemoFamily, string> = { xgboost: '3', 'linear-learner': '2' };
const SCHEMA_URI = 's3://mlops/runs/training/used-cars-r1/preprocess/schema/feature-schema.json';
const GROUND_TRUTH_URI = 's3://mlops/ground-truth/used-cars';
const XGB = 123.5;
const LINEAR = 100.5;
/** Each endpoint's production variant is named after the model it serves (activities/inference/endpoints.ts). */
const MODEL: Record<DemoFamily, string> = { xgboost: 'model-xgboost-v3', 'linear-learner': 'model-linear-learner-v2' };

/** A registered version as the registry lists it (only family, version, model name and schema matter here). */
function registeredVersion(family: ModelFamily, version: number, modelName: string, featureSchemaUri: string): ModelVersion {
  const now = new Date().toISOString();
  return { family, version, modelName, featureSchemaUri, artifactUri: `s3://mlops/models/${modelName}/model.tar.gz`, trainingJobName: `train-${modelName}`, workflowId: 'w', runId: 'r', hyperparameters: {}, status: 'Approved', createdAt: now, updatedAt: now };
}

interface PredictionAnswer {
  inferenceId: string;
  prediction: number;
  models: Partial<Record<ModelFamily, number>>;
  ids?: Record<string, unknown>;
  unavailable?: ModelFamily[];
  outOfRange?: { field: string; value: number; trainingRange: [number, number] }[];
}

interface PredictBody {
  predictions: PredictionAnswer[];
  combiner: string;
  modelVersions: Record<string, string>;
  degraded?: { unavailable: { family: ModelFamily; reason: string }[]; note: string };
  error?: string;
  message?: string;
  /** The 503's details: which endpoint did not answer and why (the edges' `{error, message, details}` body). */
  details?: { unavailable?: { family: ModelFamily; reason: string }[] };
}

type Gateway = ReturnType<typeof buildGatewayServer>;

describe('client/gateway/server', () => {
  let tmp: string;
  let objectStore: LocalObjectStore;
  let parameters: LocalParameterStore;
  let runtime: FakeRuntime;
  let gateway: Gateway | undefined;
  /** The model registry and the endpoints' configurations, as the gateway reads them. */
  let registered: ModelVersion[];
  let configured: Map<string, EndpointDescription>;
  const registry = { listVersions: async (family?: ModelFamily): Promise<ModelVersion[]> => registered.filter((v) => !family || v.family === family) };
  const hosting = { describeEndpoint: async (name: string) => configured.get(name) };

  /** Points the endpoint's configuration at one variant serving `modelName`. */
  function configure(endpointName: string, modelName: string): void {
    const now = new Date().toISOString();
    configured.set(endpointName, { endpointName, endpointConfigName: `config-${modelName}`, status: 'InService', variants: [{ variantName: modelName, modelName, currentInstanceCount: 1, desiredInstanceCount: 1 }], creationTime: now, lastModifiedTime: now });
  }

  beforeEach(async () => {
    tmp = await createTempDir('mlops-gateway-');
    objectStore = new LocalObjectStore(path.join(tmp, 'objects'));
    parameters = new LocalParameterStore(path.join(tmp, 'registry', 'parameters.json'));
    registered = [];
    configured = new Map();
    registry.listVersions = async (family?: ModelFamily) => registered.filter((v) => !family || v.family === family);
    runtime = await startFakeRuntime({
      [ENDPOINT.xgboost]: { kind: 'value', body: `${XGB}\n`, variant: MODEL.xgboost },
      [ENDPOINT['linear-learner']]: { kind: 'value', body: `${LINEAR}\n`, variant: MODEL['linear-learner'] },
    });
  });

  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await runtime.close();
    await removeTempDir(tmp);
  });

  /** Exports the champions the way the training pipeline does, with the pre-processing job's schema. */
  async function deploy(families: DemoFamily[] = ['xgboost', 'linear-learner']): Promise<void> {
    await objectStore.put(SCHEMA_URI, JSON.stringify(usedCarsFeatureSchemaDocument(), null, 2), { contentType: 'application/json' });
    for (const family of families) {
      registered.push(registeredVersion(family, Number(VERSION[family]), MODEL[family], SCHEMA_URI));
      configure(ENDPOINT[family], MODEL[family]);
      await writeChampion(parameters, {
        family,
        modelName: MODEL[family],
        modelVersion: Number(VERSION[family]),
        modelArtifactUri: `s3://mlops/models/${family}/model.tar.gz`,
        featureSchemaUri: SCHEMA_URI,
        endpointName: ENDPOINT[family],
      });
    }
  }

  function startGateway(overrides: Partial<GatewayOptions> = {}): Gateway {
    gateway = buildGatewayServer({
      backend: { parameters, objectStore, registry, hosting },
      runtimeUrl: runtime.url,
      timeoutMs: 5000,
      endpointConcurrency: 8,
      bulkConcurrency: 8,
      onPartial: 'answer',
      defaultCombiner: requestCombiner('max'),
      groundTruthUri: GROUND_TRUTH_URI,
      maxBodyBytes: 64 * 1024,
      maxRecords: 100,
      ...overrides,
    });
    return gateway;
  }

  async function predict(
    body: unknown,
    options: { contentType?: string; combiner?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: PredictBody }> {
    const query = options.combiner === undefined ? '' : `?combiner=${encodeURIComponent(options.combiner)}`;
    const response = await gateway!.app.inject({
      method: 'POST',
      url: `/v1/predict${query}`,
      headers: { 'content-type': options.contentType ?? 'application/json', ...options.headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.statusCode, body: response.json<PredictBody>() };
  }

  async function writeCombinerModule(name: string, source: string): Promise<void> {
    await fs.writeFile(path.join(tmp, name), source);
  }

  describe('POST /v1/predict, combiners', () => {
    beforeEach(() => deploy());

    it('when no combiner is named, then the default max of both models is the prediction', async () => {
      startGateway();

      const { status, body } = await predict(usedCar());

      assert.equal(status, 200);
      assert.equal(body.combiner, 'max');
      assert.equal(body.predictions.length, 1);
      assert.equal(body.predictions[0]!.prediction, XGB);
      assert.deepEqual(body.predictions[0]!.models, { xgboost: XGB, 'linear-learner': LINEAR });
      assert.deepEqual(body.modelVersions, { xgboost: '3', 'linear-learner': '2' });
      assert.equal(body.degraded, undefined);
    });

    it('when the configured default combiner is mean, then a request naming none gets the mean', async () => {
      startGateway({ defaultCombiner: requestCombiner('mean') });

      const { status, body } = await predict(usedCar());

      assert.equal(status, 200);
      assert.equal(body.combiner, 'mean');
      assert.equal(body.predictions[0]!.prediction, (XGB + LINEAR) / 2);
    });

    it('when ?combiner=mean, then the prediction is the mean of both models', async () => {
      startGateway();

      const { status, body } = await predict(usedCar(), { combiner: 'mean' });

      assert.equal(status, 200);
      assert.equal(body.combiner, 'mean');
      assert.equal(body.predictions[0]!.prediction, 112);
    });

    it('when ?combiner=model:xgboost and xgboost answers less than linear-learner, then the prediction is xgboost’s answer, not the max', async () => {
      const lower = LINEAR - 20;
      runtime.set(ENDPOINT.xgboost, { kind: 'value', body: `${lower}\n` });
      startGateway();

      const { status, body } = await predict(usedCar(), { combiner: 'model:xgboost' });

      assert.equal(status, 200);
      assert.equal(body.combiner, 'model:xgboost');
      assert.equal(body.predictions[0]!.prediction, lower);
      assert.deepEqual(body.predictions[0]!.models, { xgboost: lower, 'linear-learner': LINEAR });
    });

    it('when ?combiner=model:linear-learner, then the prediction is linear-learner’s answer', async () => {
      startGateway();

      const { status, body } = await predict(usedCar(), { combiner: 'model:linear-learner' });

      assert.equal(status, 200);
      assert.equal(body.combiner, 'model:linear-learner');
      assert.equal(body.predictions[0]!.prediction, LINEAR);
    });

    it('when the operator set a module combiner, then a request naming none gets it and the answer names it', async () => {
      await writeCombinerModule('weighted.mjs', "export function combine(p) { return 2 * p.xgboost - p['linear-learner']; }\n");
      startGateway({ defaultCombiner: await loadOperatorCombiner('module:weighted.mjs', tmp) });

      const { status, body } = await predict(usedCar());

      assert.equal(status, 200);
      assert.equal(body.combiner, 'module:weighted.mjs');
      assert.equal(body.predictions[0]!.prediction, 2 * XGB - LINEAR);
    });

    it('when the operator set a module combiner and a request names mean, then the request’s built-in wins', async () => {
      await writeCombinerModule('low.js', 'exports.combine = (p) => Math.min(p.xgboost, p["linear-learner"]);\n');
      startGateway({ defaultCombiner: await loadOperatorCombiner('module:low.js', tmp) });

      const { status, body } = await predict(usedCar(), { headers: { 'x-mlops-combiner': 'mean' } });

      assert.equal(status, 200);
      assert.equal(body.combiner, 'mean');
      assert.equal(body.predictions[0]!.prediction, (XGB + LINEAR) / 2);
    });

    it('when the x-mlops-combiner header says mean, then the prediction is the mean', async () => {
      startGateway();

      const { status, body } = await predict(usedCar(), { headers: { 'x-mlops-combiner': 'mean' } });

      assert.equal(status, 200);
      assert.equal(body.combiner, 'mean');
      assert.equal(body.predictions[0]!.prediction, (XGB + LINEAR) / 2);
    });

    it('when a module combiner throws while combining, then 500 InternalError and the cause goes to the log', async () => {
      await writeCombinerModule('throws.mjs', "export function combine() { throw new Error('weights not loaded'); }\n");
      startGateway({ defaultCombiner: await loadOperatorCombiner('module:throws.mjs', tmp) });
      const logged: string[] = [];
      const realError = console.error;
      console.error = (...args: unknown[]) => void logged.push(args.map(String).join(' '));
      let result;
      try {
        result = await predict(usedCar());
      } finally {
        console.error = realError;
      }

      assert.equal(result.status, 500);
      assert.deepEqual(result.body, { error: 'InternalError', message: 'the gateway failed; see its log' });
      assert.equal(logged.length, 1);
      assert.match(logged[0]!, /weights not loaded/);
    });

    it('when both the query and the header name a combiner, then the query wins', async () => {
      startGateway();

      const { body } = await predict(usedCar(), { combiner: 'model:linear-learner', headers: { 'x-mlops-combiner': 'model:xgboost' } });

      assert.equal(body.combiner, 'model:linear-learner');
      assert.equal(body.predictions[0]!.prediction, LINEAR);
    });

    it('when the combiner is unknown, then 400 names it and nothing reaches the endpoints', async () => {
      startGateway();

      const { status, body } = await predict(usedCar(), { combiner: 'median' });

      assert.equal(status, 400);
      assert.equal(body.error, 'InvalidCombiner');
      assert.match(body.message!, /unknown combiner 'median'/);
      assert.deepEqual(runtime.received, []);
    });

    it('when model:<family> names no known family, then 400 and nothing reaches the endpoints', async () => {
      startGateway();

      const { status, body } = await predict(usedCar(), { combiner: 'model:random-forest' });

      assert.equal(status, 400);
      assert.match(body.message!, /unknown model family 'random-forest'/);
      assert.deepEqual(runtime.received, []);
    });

    it('when the operator’s module combiner returns NaN, then 500 (the gateway’s fault, logged), not 400', async () => {
      await writeCombinerModule('broken.mjs', 'export const combine = () => Number.NaN;\n');
      startGateway({ defaultCombiner: await loadOperatorCombiner('module:broken.mjs', tmp) });
      const logged: string[] = [];
      const realError = console.error;
      console.error = (...args: unknown[]) => void logged.push(args.map(String).join(' '));
      let result;
      try {
        result = await predict(usedCar());
      } finally {
        console.error = realError;
      }

      assert.equal(result.status, 500);
      assert.equal(result.body.error, 'InternalError');
      assert.match(logged[0]!, /combiner 'module:broken\.mjs' returned NaN, not a finite number/);
    });
  });

  describe('POST /v1/predict, a request cannot load code', () => {
    beforeEach(() => deploy());

    it('when a request names module:<absolute path> of a module that writes a marker, then 400 InvalidCombiner and the module never runs', async () => {
      const marker = path.join(tmp, 'pwned');
      const evil = path.join(tmp, 'evil', 'x.mjs');
      await fs.mkdir(path.dirname(evil), { recursive: true });
      await fs.writeFile(evil, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport const combine = () => 1;\n`);
      startGateway();

      for (const via of ['query', 'header'] as const) {
        const { status, body } = via === 'query' ? await predict(usedCar(), { combiner: `module:${evil}` }) : await predict(usedCar(), { headers: { 'x-mlops-combiner': `module:${evil}` } });

        assert.equal(status, 400, `${via}: ${JSON.stringify(body)}`);
        assert.equal(body.error, 'InvalidCombiner');
        assert.match(body.message!, /module combiners cannot be chosen per request: a request may name max, mean or model:<family>/);
      }
      await assert.rejects(fs.stat(marker), { code: 'ENOENT' }, 'the module ran in the gateway');
      assert.deepEqual(runtime.received, []);
    });

    it('when a request names module:/etc/passwd or a missing file, then both answers are identical (existence does not leak)', async () => {
      startGateway();

      const existing = await predict(usedCar(), { combiner: 'module:/etc/passwd' });
      const missing = await predict(usedCar(), { combiner: `module:${path.join(tmp, 'no-such-file.mjs')}` });
      const relative = await predict(usedCar(), { headers: { 'x-mlops-combiner': 'module:client/dashboard/main.ts' } });

      assert.equal(existing.status, 400);
      assert.deepEqual(missing, existing);
      assert.deepEqual(relative, existing);
    });
  });

  describe('POST /v1/predict, payload shapes', () => {
    beforeEach(() => deploy());

    /** Checks that each answer's inference id reached both endpoints, with its row in schema order. */
    function assertInvocations(answers: PredictionAnswer[], rows: string[]): void {
      assert.equal(runtime.received.length, 2 * rows.length);
      assert.equal(new Set(answers.map((a) => a.inferenceId)).size, answers.length, 'each record has its own inference id');
      answers.forEach((answer, i) => {
        const calls = runtime.received.filter((r) => r.inferenceId === answer.inferenceId);
        assert.deepEqual(calls.map((c) => c.endpointName).sort(), [ENDPOINT['linear-learner'], ENDPOINT.xgboost]);
        for (const call of calls) {
          assert.equal(call.body, rows[i]);
          assert.equal(call.contentType, 'text/csv');
        }
      });
    }

    it('when the body is one JSON record, then one prediction and both endpoints get its row under one inference id', async () => {
      startGateway();

      const { status, body } = await predict(usedCar());

      assert.equal(status, 200);
      assert.equal(body.predictions.length, 1);
      assert.match(body.predictions[0]!.inferenceId, /^[0-9a-f-]{36}$/);
      assert.equal(body.predictions[0]!.ids, undefined);
      assertInvocations(body.predictions, [USED_CAR_ROW]);
    });

    it('when the body is a JSON list, then each record gets its own inference id, sent to both endpoints', async () => {
      const records = [usedCar(), usedCar({ Mileage: 30000, Cylinder: 8, Buick: 0, Cadillac: 1 }), usedCar({ Doors: 2, sedan: 0, coupe: 1 })];
      startGateway();

      const { status, body } = await predict(records);

      assert.equal(status, 200);
      assert.equal(body.predictions.length, 3);
      assertInvocations(body.predictions, records.map(csvRow));
    });

    it('when the body is {"records": [...]}, then each record is predicted in order', async () => {
      const records = [usedCar({ Mileage: 1 }), usedCar({ Mileage: 2 })];
      startGateway();

      const { status, body } = await predict({ records });

      assert.equal(status, 200);
      assertInvocations(body.predictions, records.map(csvRow));
    });

    it('when JSON records carry the id column and the label, then the id is echoed and neither reaches the models', async () => {
      startGateway();

      const { status, body } = await predict([usedCar({ rownames: 17, Price: 22000 }), usedCar({ rownames: 18 })]);

      assert.equal(status, 200);
      assert.deepEqual(body.predictions.map((p) => p.ids), [{ rownames: 17 }, { rownames: 18 }]);
      assertInvocations(body.predictions, [USED_CAR_ROW, USED_CAR_ROW]);
    });

    it('when the body is CSV with a header in another order, then ids are echoed and the models get the features in schema order', async () => {
      const columns = ['rownames', 'Price', ...[...USED_CARS_FEATURES].reverse()];
      const second = usedCar({ Mileage: 12000, Leather: 0, Buick: 0, Saab: 1, sedan: 0, wagon: 1 });
      const line = (id: string, record: Record<string, unknown>) => [id, '19999.5', ...[...USED_CARS_FEATURES].reverse().map((f) => String(record[f]))].join(',');
      const csv = `${columns.join(',')}\n${line('1', usedCar())}\n${line('2', second)}\n`;
      startGateway();

      const { status, body } = await predict(csv, { contentType: 'text/csv' });

      assert.equal(status, 200);
      assert.deepEqual(body.predictions.map((p) => p.ids), [{ rownames: '1' }, { rownames: '2' }]);
      assertInvocations(body.predictions, [USED_CAR_ROW, csvRow(second)]);
    });

    it('when the body is CSV without a header, then the columns are the features in schema order', async () => {
      const second = usedCar({ Mileage: 5, Cylinder: 4, Pontiac: 1, Buick: 0 });
      startGateway();

      const { status, body } = await predict(`${USED_CAR_ROW}\n${csvRow(second)}\n`, { contentType: 'text/csv; charset=utf-8' });

      assert.equal(status, 200);
      assert.equal(body.predictions.length, 2);
      assert.equal(body.predictions[0]!.ids, undefined);
      assertInvocations(body.predictions, [USED_CAR_ROW, csvRow(second)]);
    });
  });

  describe('POST /v1/predict, rejected requests reach no endpoint', () => {
    beforeEach(() => deploy());

    const withoutMileage = usedCar();
    delete withoutMileage.Mileage;
    const header = ['rownames', ...USED_CARS_FEATURES].join(',');
    const cases: { situation: string; body: string; contentType?: string; status: number; error: string; message: RegExp }[] = [
      { situation: 'a field is missing', body: JSON.stringify(withoutMileage), status: 400, error: 'InvalidPayload', message: /^record 0, field 'Mileage': is required$/ },
      { situation: 'a field is not numeric', body: JSON.stringify(usedCar({ Mileage: 'lots' })), status: 400, error: 'InvalidPayload', message: /^record 0, field 'Mileage': 'lots' is not a number$/ },
      { situation: 'a field is a boolean', body: JSON.stringify(usedCar({ Cruise: true })), status: 400, error: 'InvalidPayload', message: /^record 0, field 'Cruise': 'true' is not a number$/ },
      { situation: 'an integer field has a fraction', body: JSON.stringify(usedCar({ Mileage: 100.5 })), status: 400, error: 'InvalidPayload', message: /^record 0, field 'Mileage': 100\.5 is not an integer$/ },
      { situation: 'a value is below the minimum', body: JSON.stringify(usedCar({ Mileage: -1 })), status: 400, error: 'InvalidPayload', message: /^record 0, field 'Mileage': -1 is below the minimum 0$/ },
      { situation: 'a value is not allowed', body: JSON.stringify(usedCar({ Cylinder: 5 })), status: 400, error: 'InvalidPayload', message: /^record 0, field 'Cylinder': 5 is not one of 4, 6, 8$/ },
      { situation: 'a binary field is 2', body: JSON.stringify(usedCar({ Sound: 2 })), status: 400, error: 'InvalidPayload', message: /^record 0, field 'Sound': 2 must be 0 or 1$/ },
      { situation: 'a one-hot group has no 1', body: JSON.stringify(usedCar({ Buick: 0 })), status: 400, error: 'InvalidPayload', message: /^record 0, fields Buick\/Cadillac\/Chevy\/Pontiac\/Saab\/Saturn: exactly one must be 1 \(one-hot group 'make'\), found 0$/ },
      { situation: 'a one-hot group has two 1s', body: JSON.stringify(usedCar({ coupe: 1 })), status: 400, error: 'InvalidPayload', message: /^record 0, fields convertible\/coupe\/hatchback\/sedan\/wagon: exactly one must be 1 \(one-hot group 'body'\), found 2$/ },
      { situation: 'a field is unknown', body: JSON.stringify(usedCar({ Colour: 'red' })), status: 400, error: 'InvalidPayload', message: /^record 0: unknown field 'Colour' \(expected: Mileage, Cylinder, / },
      { situation: 'only a later record is bad', body: JSON.stringify([usedCar(), usedCar(), usedCar({ Doors: 3 })]), status: 400, error: 'InvalidPayload', message: /^record 2, field 'Doors': 3 is not one of 2, 4$/ },
      { situation: 'a list item is not an object', body: JSON.stringify([usedCar(), 42]), status: 400, error: 'InvalidPayload', message: /^record 1: must be a JSON object keyed by feature names$/ },
      { situation: 'a header-less CSV row has too few fields', body: `${USED_CAR_ROW}\n${USED_CAR_ROW.slice(0, -2)}\n`, contentType: 'text/csv', status: 400, error: 'InvalidPayload', message: /^record 1: has 16 fields, expected 17 \(the features in order: Mileage, / },
      { situation: 'a CSV row has more fields than the header', body: `${header}\n1,${USED_CAR_ROW},9\n`, contentType: 'text/csv', status: 400, error: 'InvalidPayload', message: /^record 0: has 19 fields, expected 18 \(as in the header\)$/ },
      { situation: 'a CSV header names a column twice', body: `${header},Mileage\n1,${USED_CAR_ROW},8221\n`, contentType: 'text/csv', status: 400, error: 'InvalidPayload', message: /^CSV header: column 'Mileage' appears twice$/ },
      { situation: 'a CSV value breaks a rule', body: `${header}\n7,${USED_CAR_ROW.replace(/^8221/, '-5')}\n`, contentType: 'text/csv', status: 400, error: 'InvalidPayload', message: /^record 0, field 'Mileage': -5 is below the minimum 0$/ },
      { situation: 'the CSV body is empty', body: '', contentType: 'text/csv', status: 400, error: 'InvalidPayload', message: /^the request has no records$/ },
      { situation: 'the CSV body is only a header', body: `${header}\n`, contentType: 'text/csv', status: 400, error: 'InvalidPayload', message: /^the request has no records$/ },
      { situation: 'the JSON body is empty', body: '', status: 400, error: 'BadRequest', message: /empty/i },
      { situation: 'the JSON list is empty', body: '[]', status: 400, error: 'InvalidPayload', message: /^the request has no records$/ },
      { situation: 'the records list is empty', body: '{"records": []}', status: 400, error: 'InvalidPayload', message: /^the request has no records$/ },
      { situation: 'there are more records than maxRecords', body: JSON.stringify(Array.from({ length: 4 }, () => usedCar())), status: 400, error: 'InvalidPayload', message: /^the request has 4 records; at most 3 per request$/ },
      { situation: 'the JSON is invalid', body: '{"Mileage": 8221,', status: 400, error: 'BadRequest', message: /JSON/ },
      { situation: 'the content type is XML', body: '<car/>', contentType: 'application/xml', status: 415, error: 'UnsupportedMediaType', message: /application\/json or text\/csv/ },
      { situation: 'the content type is text/plain', body: USED_CAR_ROW, contentType: 'text/plain', status: 415, error: 'UnsupportedMediaType', message: /^content type 'text\/plain' is not supported/ },
      { situation: 'the body is larger than maxBodyBytes', body: JSON.stringify(Array.from({ length: 3 }, () => usedCar({ rownames: 'x'.repeat(400) }))), status: 413, error: 'PayloadTooLarge', message: /^the body exceeds 1024 bytes$/ },
    ];

    for (const c of cases) {
      it(`when ${c.situation}, then ${c.status} ${c.error} and nothing reaches the endpoints`, async () => {
        startGateway({ maxRecords: 3, maxBodyBytes: 1024 });

        const { status, body } = await predict(c.body, { contentType: c.contentType ?? 'application/json' });

        assert.equal(status, c.status, JSON.stringify(body));
        assert.equal(body.error, c.error);
        assert.match(body.message!, c.message);
        assert.deepEqual(runtime.received, []);
      });
    }
  });

  describe('POST /v1/predict, endpoint failures', () => {
    beforeEach(() => deploy());

    it('when linear-learner answers 424 and onPartial is answer, then 200 from xgboost with a degraded note naming linear-learner', async () => {
      runtime.set(ENDPOINT['linear-learner'], { kind: 'model-error' });
      startGateway({ onPartial: 'answer' });

      const { status, body } = await predict([usedCar(), usedCar()]);

      assert.equal(status, 200);
      assert.deepEqual(body.predictions.map((p) => p.prediction), [XGB, XGB]);
      assert.deepEqual(body.predictions[0]!.models, { xgboost: XGB });
      assert.deepEqual(body.predictions[0]!.unavailable, ['linear-learner']);
      assert.equal(body.degraded?.unavailable.length, 1);
      assert.equal(body.degraded?.unavailable[0]!.family, 'linear-learner');
      assert.match(body.degraded!.unavailable[0]!.reason, /^used-cars-linear-learner answered 424: /);
      assert.match(body.degraded!.note, /remaining model/);
    });

    it('when xgboost drops the connection and onPartial is answer, then 200 from linear-learner with a degraded note naming xgboost', async () => {
      runtime.set(ENDPOINT.xgboost, { kind: 'drop' });
      startGateway({ onPartial: 'answer' });

      const { status, body } = await predict(usedCar());

      assert.equal(status, 200);
      assert.equal(body.predictions[0]!.prediction, LINEAR);
      assert.deepEqual(body.predictions[0]!.unavailable, ['xgboost']);
      assert.deepEqual(body.degraded?.unavailable.map((u) => u.family), ['xgboost']);
      assert.match(body.degraded!.unavailable[0]!.reason, /^used-cars-xgboost is unreachable: /);
    });

    it('when an endpoint answers something that is not a number, then the other model answers and the note says why', async () => {
      runtime.set(ENDPOINT.xgboost, { kind: 'value', body: 'nan-ish\n' });
      startGateway({ onPartial: 'answer' });

      const { status, body } = await predict(usedCar());

      assert.equal(status, 200);
      assert.equal(body.predictions[0]!.prediction, LINEAR);
      assert.match(body.degraded!.unavailable[0]!.reason, /answered 'nan-ish\n', not a number/);
    });

    it('when linear-learner is slower than timeoutMs and onPartial is answer, then xgboost answers within about timeoutMs', async () => {
      const timeoutMs = 300;
      runtime.set(ENDPOINT['linear-learner'], { kind: 'value', body: `${LINEAR}\n`, delayMs: 30_000 });
      startGateway({ onPartial: 'answer', timeoutMs });

      const started = Date.now();
      const { status, body } = await predict(usedCar());
      const elapsed = Date.now() - started;

      assert.equal(status, 200);
      assert.equal(body.predictions[0]!.prediction, XGB);
      assert.deepEqual(body.degraded?.unavailable, [{ family: 'linear-learner', reason: `used-cars-linear-learner did not answer within ${timeoutMs} ms` }]);
      assert.ok(elapsed >= timeoutMs - 50 && elapsed < timeoutMs + 1500, `answered after ${elapsed} ms`);
    });

    it('when one endpoint answers 424 and onPartial is fail, then 503 naming the endpoint', async () => {
      runtime.set(ENDPOINT['linear-learner'], { kind: 'model-error' });
      startGateway({ onPartial: 'fail' });

      const { status, body } = await predict(usedCar());

      assert.equal(status, 503);
      assert.equal(body.error, 'EndpointUnavailable');
      assert.match(body.message!, /used-cars-linear-learner answered 424/);
      assert.deepEqual(body.details?.unavailable?.map((u) => u.family), ['linear-learner']);
    });

    it('when one endpoint is slow and onPartial is fail, then 503 within about timeoutMs', async () => {
      const timeoutMs = 300;
      runtime.set(ENDPOINT.xgboost, { kind: 'value', delayMs: 30_000 });
      startGateway({ onPartial: 'fail', timeoutMs });

      const started = Date.now();
      const { status, body } = await predict(usedCar());
      const elapsed = Date.now() - started;

      assert.equal(status, 503);
      assert.deepEqual(body.details?.unavailable?.map((u) => u.family), ['xgboost']);
      assert.ok(elapsed < timeoutMs + 1500, `answered after ${elapsed} ms`);
    });

    it('when the runtime refuses connections, then 503 even with onPartial answer, naming both families', async () => {
      startGateway({ onPartial: 'answer', runtimeUrl: await refusedUrl() });

      const { status, body } = await predict(usedCar());

      assert.equal(status, 503);
      assert.equal(body.error, 'EndpointUnavailable');
      assert.deepEqual(body.details?.unavailable?.map((u) => u.family).sort(), ['linear-learner', 'xgboost']);
      assert.match(body.message!, /is unreachable/);
    });

    it('when both endpoints are slower than timeoutMs, then 503 within about timeoutMs', async () => {
      const timeoutMs = 300;
      runtime.set(ENDPOINT.xgboost, { kind: 'value', delayMs: 30_000 });
      runtime.set(ENDPOINT['linear-learner'], { kind: 'value', delayMs: 30_000 });
      startGateway({ onPartial: 'answer', timeoutMs });

      const started = Date.now();
      const { status, body } = await predict(usedCar());
      const elapsed = Date.now() - started;

      assert.equal(status, 503);
      assert.match(body.message!, /did not answer within 300 ms/);
      assert.ok(elapsed < timeoutMs + 1500, `answered after ${elapsed} ms`);
    });

    it('when the combiner is model:xgboost and xgboost is down, then 503 (the endpoint is unavailable), not a combiner error', async () => {
      runtime.set(ENDPOINT.xgboost, { kind: 'model-error' });
      startGateway({ onPartial: 'answer' });

      const { status, body } = await predict(usedCar(), { combiner: 'model:xgboost' });

      assert.equal(status, 503);
      assert.equal(body.error, 'EndpointUnavailable');
      assert.deepEqual(body.details?.unavailable?.map((u) => u.family), ['xgboost']);
    });
  });

  describe('POST /v1/predict, bounded and fair fan-out to each endpoint', () => {
    beforeEach(() => deploy());

    it('when one request carries 200 records, then each endpoint has at most endpointConcurrency calls in flight, and every record still gets its own inference id', async () => {
      runtime.set(ENDPOINT.xgboost, { kind: 'value', body: `${XGB}\n`, variant: MODEL.xgboost, delayMs: 5 });
      runtime.set(ENDPOINT['linear-learner'], { kind: 'value', body: `${LINEAR}\n`, variant: MODEL['linear-learner'], delayMs: 5 });
      startGateway({ endpointConcurrency: 3, bulkConcurrency: 3, maxRecords: 1000 });

      const { status, body } = await predict(Array.from({ length: 200 }, (_, i) => usedCar({ Mileage: 1000 + i })));

      assert.equal(status, 200);
      assert.equal(body.predictions.length, 200);
      assert.equal(new Set(body.predictions.map((p) => p.inferenceId)).size, 200);
      assert.equal(runtime.received.length, 400, 'one invocation per record and endpoint');
      assert.equal(runtime.maxInFlight.get(ENDPOINT.xgboost), 3);
      assert.equal(runtime.maxInFlight.get(ENDPOINT['linear-learner']), 3);
    });

    it('when another runtime client is plugged in (the aws backend’s SageMaker Runtime), then the same bound applies to it', async () => {
      let inFlight = 0;
      let most = 0;
      const endpoints = {
        invoke: async (endpointName: string) => {
          most = Math.max(most, ++inFlight);
          await new Promise((r) => setTimeout(r, 5));
          inFlight--;
          const family = endpointName === ENDPOINT.xgboost ? 'xgboost' : 'linear-learner';
          return { prediction: family === 'xgboost' ? XGB : LINEAR, variant: MODEL[family] };
        },
        close: async () => undefined,
      };
      startGateway({ endpoints, endpointConcurrency: 4, bulkConcurrency: 3, maxRecords: 1000 });

      const { status, body } = await predict(Array.from({ length: 100 }, () => usedCar()));

      assert.equal(status, 200);
      assert.equal(body.predictions.length, 100);
      assert.equal(most, 6, 'three calls per endpoint (the bulk budget), two endpoints');
      assert.deepEqual(runtime.received, [], 'nothing went to the default runtime');
    });

    it('when a one-record request arrives while a 300-record request waits for the endpoints, then its calls go next, not after the large request', async () => {
      runtime.set(ENDPOINT.xgboost, { kind: 'value', body: `${XGB}\n`, variant: MODEL.xgboost, delayMs: 10 });
      runtime.set(ENDPOINT['linear-learner'], { kind: 'value', body: `${LINEAR}\n`, variant: MODEL['linear-learner'], delayMs: 10 });
      startGateway({ endpointConcurrency: 4, bulkConcurrency: 4, maxRecords: 1000 });

      const large = predict(Array.from({ length: 300 }, () => usedCar()));
      while (runtime.received.length < 8) await new Promise((r) => setTimeout(r, 2));
      const sentAt = runtime.received.length;
      const small = await predict(usedCar({ Mileage: 4242 }));
      const largeAnswer = await large;

      assert.equal(small.status, 200);
      assert.equal(largeAnswer.status, 200);
      const smallId = small.body.predictions[0]!.inferenceId;
      const positions = runtime.received.flatMap((r, i) => (r.inferenceId === smallId ? [i] : []));
      assert.equal(positions.length, 2);
      // Unbounded, all 600 calls of the large request went out before it; fair, it goes out within a few turns
      // (the bound leaves room for a slow machine: the large request sends about 800 calls a second here).
      for (const position of positions) assert.ok(position < 300, `the small request's call was the ${position}th of ${runtime.received.length} (sent after ${sentAt})`);
    });

    it('when large requests flood an endpoint, then together they hold at most bulkConcurrency calls, and one-record requests use the rest', async () => {
      runtime.set(ENDPOINT.xgboost, { kind: 'value', body: `${XGB}\n`, variant: MODEL.xgboost, delayMs: 300 });
      startGateway({ endpointConcurrency: 8, bulkConcurrency: 2, maxRecords: 1000 });

      // 9 records make a request bulk; two of them would hold 18 calls without the budget.
      const large = [predict(Array.from({ length: 9 }, () => usedCar())), predict(Array.from({ length: 9 }, () => usedCar()))];
      while (runtime.received.filter((r) => r.endpointName === ENDPOINT.xgboost).length < 2) await new Promise((r) => setTimeout(r, 2));
      const singles = await Promise.all(Array.from({ length: 6 }, () => predict(usedCar())));
      const answers = await Promise.all(large);

      assert.ok(answers.every((a) => a.status === 200) && singles.every((a) => a.status === 200));
      const order = runtime.received.filter((r) => r.endpointName === ENDPOINT.xgboost).map((r) => (singles.some((s) => s.body.predictions[0]!.inferenceId === r.inferenceId) ? 'single' : 'bulk'));
      const bulkBeforeLastSingle = order.slice(0, order.lastIndexOf('single')).filter((o) => o === 'bulk').length;
      assert.ok(bulkBeforeLastSingle <= 4, `the one-record requests went out beside the first bulk calls, not after all 18: ${order.join(' ')}`);
      assert.equal(runtime.maxInFlight.get(ENDPOINT.xgboost), 8, 'two bulk calls and the six one-record calls at once');
    });

    it('when the client goes away in the middle of a large request, then its records still waiting for a slot are not sent', async () => {
      runtime.set(ENDPOINT.xgboost, { kind: 'value', body: `${XGB}\n`, variant: MODEL.xgboost, delayMs: 50 });
      runtime.set(ENDPOINT['linear-learner'], { kind: 'value', body: `${LINEAR}\n`, variant: MODEL['linear-learner'], delayMs: 50 });
      const { app } = startGateway({ endpointConcurrency: 4, bulkConcurrency: 2, maxRecords: 1000 });
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      const client = new AbortController();

      const call = fetch(`${address}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(Array.from({ length: 200 }, () => usedCar())), signal: client.signal });
      while (runtime.received.length < 4) await new Promise((r) => setTimeout(r, 2));
      client.abort();
      await assert.rejects(call);
      const atAbort = runtime.received.length;
      await new Promise((r) => setTimeout(r, 400));

      assert.ok(runtime.received.length <= atAbort + 4, `${runtime.received.length - atAbort} calls were sent after the client left`);
    });

    it('when an endpoint is down, then the other records of the request are not sent there (one timeout, not one per record)', async () => {
      const timeoutMs = 200;
      runtime.set(ENDPOINT['linear-learner'], { kind: 'value', body: `${LINEAR}\n`, delayMs: 30_000 });
      startGateway({ endpointConcurrency: 2, bulkConcurrency: 2, maxRecords: 1000, timeoutMs });

      const started = Date.now();
      const { status, body } = await predict(Array.from({ length: 50 }, () => usedCar()));

      assert.equal(status, 200);
      assert.ok(Date.now() - started < timeoutMs + 1500, `answered after ${Date.now() - started} ms`);
      assert.ok(body.predictions.every((p) => p.prediction === XGB));
      assert.equal(runtime.received.filter((r) => r.endpointName === ENDPOINT['linear-learner']).length, 2, 'only the calls in flight when it timed out');
    });
  });

  describe('POST /v1/predict, the version label names the model that answered', () => {
    const NEXT_MODEL = 'model-xgboost-v4';
    const NEXT = 777.5;

    beforeEach(() => deploy());

    it('when the endpoint switches to a new model under load before the champion is exported, then every answer’s version is the model that produced it', async () => {
      registered.push(registeredVersion('xgboost', 4, NEXT_MODEL, SCHEMA_URI));
      startGateway();
      const answers: PredictBody[] = [];
      let stop = false;
      const load = Promise.all(
        Array.from({ length: 4 }, async () => {
          while (!stop) {
            const { status, body } = await predict(usedCar());
            assert.equal(status, 200, JSON.stringify(body));
            answers.push(body);
          }
        }),
      );
      const until = async (n: number) => {
        while (answers.length < n) await new Promise((r) => setTimeout(r, 1));
      };
      try {
        await until(20);
        // The switch: the endpoint serves the next model; the champion record still names version 3.
        configure(ENDPOINT.xgboost, NEXT_MODEL);
        runtime.set(ENDPOINT.xgboost, { kind: 'value', body: `${NEXT}\n`, variant: NEXT_MODEL });
        const switchedAt = answers.length;
        await until(switchedAt + 40);
      } finally {
        stop = true;
        await load;
      }

      const byValue = (value: number) => answers.filter((a) => a.predictions[0]!.models.xgboost === value);
      assert.ok(byValue(XGB).length > 0 && byValue(NEXT).length > 0);
      assert.deepEqual([...new Set(byValue(XGB).map((a) => a.modelVersions.xgboost))], ['3']);
      assert.deepEqual([...new Set(byValue(NEXT).map((a) => a.modelVersions.xgboost))], ['4']);
      assert.ok(answers.every((a) => a.modelVersions['linear-learner'] === '2'));
    });

    it('when the new model reads another feature schema, then the record is prepared again for it and sent again, and later records use the new schema at once', async () => {
      const nextSchemaUri = 's3://mlops/runs/training/used-cars-r2/preprocess/schema/feature-schema.json';
      const doc = usedCarsFeatureSchemaDocument() as { features: { name: string }[] };
      doc.features = [...doc.features.slice(1), doc.features[0]!]; // Mileage moves to the end
      await objectStore.put(nextSchemaUri, JSON.stringify(doc), { contentType: 'application/json' });
      registered.push(registeredVersion('xgboost', 4, NEXT_MODEL, nextSchemaUri));
      startGateway();
      configure(ENDPOINT.xgboost, NEXT_MODEL);
      runtime.set(ENDPOINT.xgboost, { kind: 'value', body: `${NEXT}\n`, variant: NEXT_MODEL });
      const nextRow = [...USED_CAR_ROW.split(',').slice(1), USED_CAR_ROW.split(',')[0]].join(',');

      const first = await predict(usedCar());
      const second = await predict(usedCar());

      assert.equal(first.status, 200);
      assert.equal(first.body.modelVersions.xgboost, '4');
      const calls = (answer: PredictBody) => runtime.received.filter((r) => r.endpointName === ENDPOINT.xgboost && r.inferenceId === answer.predictions[0]!.inferenceId).map((r) => r.body);
      assert.deepEqual(calls(first.body), [USED_CAR_ROW, nextRow], 'sent in the old layout, answered by the new model, sent again in its layout');
      assert.deepEqual(calls(second.body), [nextRow]);
      assert.equal(second.body.modelVersions.xgboost, '4');
    });

    it('when an endpoint answers from a variant its configuration does not name, then that model is unavailable (never labelled by guess)', async () => {
      runtime.set(ENDPOINT['linear-learner'], { kind: 'value', body: `${LINEAR}\n`, variant: 'model-from-elsewhere' });
      startGateway();

      const { status, body } = await predict(usedCar());

      assert.equal(status, 200);
      assert.deepEqual(body.predictions[0]!.models, { xgboost: XGB });
      assert.match(body.degraded!.unavailable[0]!.reason, /answered from variant 'model-from-elsewhere', which names no registered linear-learner model/);
      assert.deepEqual(body.modelVersions, { xgboost: '3' });
    });

    it('when the registry cannot be read, then the answers cannot be labelled and the endpoints count as unavailable (503), not a crash', async () => {
      startGateway();
      registry.listVersions = async () => {
        throw new Error('registry throttled');
      };

      const { status, body } = await predict(usedCar());

      assert.equal(status, 503, JSON.stringify(body));
      assert.match(body.message!, /cannot tell which model of used-cars-xgboost answered: registry throttled/);
    });

    it('when an endpoint still runs a config whose variant is AllTraffic, then its model is found through the endpoint’s configuration', async () => {
      const now = new Date().toISOString();
      configured.set(ENDPOINT.xgboost, { endpointName: ENDPOINT.xgboost, endpointConfigName: 'old', status: 'InService', variants: [{ variantName: 'AllTraffic', modelName: MODEL.xgboost, currentInstanceCount: 1, desiredInstanceCount: 1 }], creationTime: now, lastModifiedTime: now });
      runtime.set(ENDPOINT.xgboost, { kind: 'value', body: `${XGB}\n`, variant: 'AllTraffic' });
      startGateway();

      const { status, body } = await predict(usedCar());

      assert.equal(status, 200);
      assert.deepEqual(body.modelVersions, { xgboost: '3', 'linear-learner': '2' });
    });
  });

  describe('POST /v1/predict, values outside the training range', () => {
    beforeEach(() => deploy());

    for (const value of [1e20, 1e308, 1_000_000]) {
      it(`when Mileage is ${value} (beyond 10 widths of the training range 266..50387), then 400 naming the field and the range, and nothing reaches the endpoints`, async () => {
        startGateway();

        const { status, body } = await predict(usedCar({ Mileage: value }));

        assert.equal(status, 400, JSON.stringify(body));
        assert.equal(body.error, 'InvalidPayload');
        assert.match(body.message!, new RegExp(`^record 0, field 'Mileage': ${String(value).replace('+', '\\+')} is outside the training range 266\\.\\.50387 by more than 10 times its width`));
        assert.deepEqual(runtime.received, []);
      });
    }

    it('when Mileage is 60000 (beyond the training range and its 10 % tolerance), then it is answered and the record is flagged', async () => {
      startGateway();

      const { status, body } = await predict([usedCar({ Mileage: 60000 }), usedCar({ Mileage: 52000 })]);

      assert.equal(status, 200);
      assert.deepEqual(body.predictions[0]!.outOfRange, [{ field: 'Mileage', value: 60000, trainingRange: [266, 50387] }]);
      assert.equal(body.predictions[1]!.outOfRange, undefined, 'within the tolerance');
    });

    it('when the schema’s policy is reject, then a value beyond the tolerance answers 400', async () => {
      await objectStore.put(SCHEMA_URI, JSON.stringify({ ...usedCarsFeatureSchemaDocument(), outOfRange: { policy: 'reject', tolerance: 0.1, rejectBeyond: 10 } }), { contentType: 'application/json' });
      assert.equal((usedCarsFeatureSchemaDocument() as { outOfRange: { policy: string } }).outOfRange.policy, 'flag', 'the default document flags');
      startGateway();

      const { status, body } = await predict(usedCar({ Mileage: 60000 }));

      assert.equal(status, 400);
      assert.match(body.message!, /^record 0, field 'Mileage': 60000 is outside the training range 266\.\.50387 by more than 0\.1 times its width \(out-of-range policy: reject\)$/);
    });

    it('when a model answers NaN for a flagged record, then 400 names the record and the field (the input’s fault), not the endpoint', async () => {
      runtime.set(ENDPOINT['linear-learner'], { kind: 'value', body: 'NaN\n', variant: MODEL['linear-learner'] });
      startGateway();

      const { status, body } = await predict([usedCar(), usedCar({ Mileage: 400000 })]);

      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(body.error, 'InvalidPayload');
      assert.match(body.message!, /^record 1: linear-learner gave no finite prediction for values outside the training range: 'Mileage' 400000 \(training range 266\.\.50387\)$/);
    });

    it('when a model answers Infinity for a sane record, then it is the endpoint’s fault: the other model answers and the note names it', async () => {
      runtime.set(ENDPOINT['linear-learner'], { kind: 'value', body: 'Infinity\n', variant: MODEL['linear-learner'] });
      startGateway();

      const { status, body } = await predict(usedCar());

      assert.equal(status, 200);
      assert.equal(body.predictions[0]!.prediction, XGB);
      assert.match(body.degraded!.unavailable[0]!.reason, /used-cars-linear-learner answered Infinity, not a finite number/);
    });

    it('when the schema predates training ranges (no stats, no policy), then any valid value is answered as before', async () => {
      const old = usedCarsFeatureSchemaDocument() as { features: Record<string, unknown>[]; outOfRange?: unknown };
      old.features = old.features.map(({ stats: _stats, ...rest }) => rest);
      delete old.outOfRange;
      await objectStore.put(SCHEMA_URI, JSON.stringify(old), { contentType: 'application/json' });
      startGateway();

      const { status, body } = await predict(usedCar({ Mileage: 1e9 }));

      assert.equal(status, 200);
      assert.equal(body.predictions[0]!.outOfRange, undefined);
    });
  });

  describe('POST /v1/predict, champions', () => {
    it('when no champion is deployed, then 503 NoModelDeployed with a clear message and nothing reaches the runtime', async () => {
      startGateway();

      const { status, body } = await predict(usedCar());

      assert.equal(status, 503);
      assert.equal(body.error, 'NoModelDeployed');
      assert.match(body.message!, /no model is deployed yet/);
      assert.deepEqual(runtime.received, []);
    });

    it('when only xgboost is deployed, then it alone answers and the answer is not degraded', async () => {
      await deploy(['xgboost']);
      startGateway({ defaultCombiner: requestCombiner('mean') });

      const { status, body } = await predict(usedCar());

      assert.equal(status, 200);
      assert.equal(body.predictions[0]!.prediction, XGB);
      assert.deepEqual(body.predictions[0]!.models, { xgboost: XGB });
      assert.deepEqual(body.modelVersions, { xgboost: '3' });
      assert.equal(body.degraded, undefined);
      assert.deepEqual(runtime.received.map((r) => r.endpointName), [ENDPOINT.xgboost]);
    });
  });

  describe('over HTTP', () => {
    it('when the gateway listens on a port, then a client gets predictions with fetch', async () => {
      await deploy();
      const { app } = startGateway();
      const address = await app.listen({ host: '127.0.0.1', port: 0 });

      const response = await fetch(`${address}/v1/predict?combiner=mean`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: `${USED_CAR_ROW}\n` });

      assert.equal(response.status, 200);
      const body = (await response.json()) as PredictBody;
      assert.equal(body.predictions[0]!.prediction, (XGB + LINEAR) / 2);
      assert.equal(runtime.received.length, 2);
    });
  });

  describe('GET /v1/models', () => {
    it('when both champions are deployed, then both are listed with version, endpoint and schema', async () => {
      await deploy();
      startGateway({ defaultCombiner: requestCombiner('mean') });

      const response = await gateway!.app.inject({ method: 'GET', url: '/v1/models' });

      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), {
        models: [
          { family: 'xgboost', endpointName: ENDPOINT.xgboost, modelVersion: '3', featureSchemaUri: SCHEMA_URI },
          { family: 'linear-learner', endpointName: ENDPOINT['linear-learner'], modelVersion: '2', featureSchemaUri: SCHEMA_URI },
        ],
        combiner: 'mean',
      });
    });

    it('when no champion is deployed, then the list is empty', async () => {
      startGateway();

      const response = await gateway!.app.inject({ method: 'GET', url: '/v1/models' });

      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json<{ models: unknown[] }>().models, []);
    });
  });

  describe('POST /v1/ground-truth', () => {
    const ID_A = '0b7bfd33-c8a7-4adf-a09a-98fd0af79974';
    const ID_B = 'req-0042';

    async function postGroundTruth(body: unknown): Promise<{ status: number; body: { accepted?: number; uri?: string; error?: string; message?: string } }> {
      const response = await gateway!.app.inject({ method: 'POST', url: '/v1/ground-truth', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      return { status: response.statusCode, body: response.json() };
    }

    /** The UTC hour folders a request made between `before` and `after` may land in. */
    function hourPrefixes(before: Date, after: Date): string[] {
      const p2 = (n: number) => String(n).padStart(2, '0');
      const hour = (d: Date) => `${GROUND_TRUTH_URI}/${d.getUTCFullYear()}/${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())}/${p2(d.getUTCHours())}/`;
      return [hour(before), hour(after)];
    }

    async function storedLines(): Promise<{ uris: string[]; lines: string[] }> {
      const uris = await objectStore.list(`${GROUND_TRUTH_URI}/`);
      const lines: string[] = [];
      for (const uri of uris) lines.push(...(await objectStore.get(uri)).toString('utf8').split('\n').filter(Boolean));
      return { uris, lines };
    }

    const line = (eventId: string, data: string) => `{"groundTruthData":{"data":"${data}","encoding":"CSV"},"eventMetadata":{"eventId":"${eventId}"},"eventVersion":"0"}`;

    it('when one label is posted, then it is stored as a ground-truth JSON line under the UTC hour of the upload', async () => {
      startGateway();

      const before = new Date();
      const { status, body } = await postGroundTruth({ inferenceId: ID_A, groundTruth: 14999.5 });
      const after = new Date();

      assert.equal(status, 202);
      assert.equal(body.accepted, 1);
      const { uris, lines } = await storedLines();
      assert.deepEqual(uris, [body.uri]);
      assert.ok(hourPrefixes(before, after).some((prefix) => body.uri!.startsWith(prefix)), body.uri);
      assert.match(body.uri!, /^s3:\/\/mlops\/ground-truth\/used-cars\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[^/]+\.jsonl$/);
      assert.deepEqual(lines, [line(ID_A, '14999.5')]);
      assert.equal((await objectStore.head(body.uri!))?.contentType, 'application/jsonlines');
    });

    it('when a list of labels is posted, then they are stored in order in one file, labels given as text kept as numbers', async () => {
      startGateway();

      const { status, body } = await postGroundTruth([
        { inferenceId: ID_A, groundTruth: '8000.25' },
        { inferenceId: ID_B, groundTruth: 21343 },
      ]);

      assert.equal(status, 202);
      assert.equal(body.accepted, 2);
      const { uris, lines } = await storedLines();
      assert.equal(uris.length, 1);
      assert.deepEqual(lines, [line(ID_A, '8000.25'), line(ID_B, '21343')]);
    });

    it('when {"records": [...]} is posted, then every label is stored', async () => {
      startGateway();

      const { status, body } = await postGroundTruth({ records: [{ inferenceId: ID_B, groundTruth: -1.5e3 }] });

      assert.equal(status, 202);
      assert.equal(body.accepted, 1);
      assert.deepEqual((await storedLines()).lines, [line(ID_B, '-1500')]);
    });

    // `message` only where the gateway names the field today: a missing field reports 'body: Invalid input'.
    const invalid: { situation: string; body: unknown; message?: RegExp }[] = [
      { situation: 'the inference id is empty', body: { inferenceId: '', groundTruth: 1 }, message: /record 0, field 'inferenceId': must be 1-64 printable characters/ },
      { situation: 'the inference id starts with a space', body: { inferenceId: ' req-1', groundTruth: 1 }, message: /inferenceId/ },
      { situation: 'the inference id is longer than 64 characters', body: { inferenceId: 'a'.repeat(65), groundTruth: 1 }, message: /inferenceId/ },
      { situation: 'the inference id has a newline', body: { inferenceId: 'req\n1', groundTruth: 1 }, message: /inferenceId/ },
      { situation: 'the inference id is missing', body: { groundTruth: 1 }, message: /record 0, field 'inferenceId': is required/ },
      { situation: 'the label is not numeric', body: { inferenceId: ID_A, groundTruth: 'expensive' }, message: /record 0, field 'groundTruth': must be a number/ },
      { situation: 'the label is missing', body: { inferenceId: ID_A }, message: /record 0, field 'groundTruth': is required/ },
      { situation: 'one label in a list is bad', body: [{ inferenceId: ID_A, groundTruth: 1 }, { inferenceId: ID_B, groundTruth: 'n/a' }], message: /record 1, field 'groundTruth': must be a number/ },
      { situation: 'the list is empty', body: [] },
    ];

    for (const c of invalid) {
      it(`when ${c.situation}, then 400 and nothing is written`, async () => {
        startGateway();

        const { status, body } = await postGroundTruth(c.body);

        assert.equal(status, 400, JSON.stringify(body));
        assert.equal(body.error, 'InvalidGroundTruth');
        if (c.message) assert.match(body.message!, c.message);
        assert.deepEqual((await storedLines()).uris, []);
      });
    }
  });
  describe('GET /metrics', () => {
    beforeEach(() => deploy());

    it('when predictions were answered, then calls and latency are counted per endpoint and answering variant, and each prediction by its position in the training label range, as the deployment alarms read them', async () => {
      startGateway();
      await predict(usedCar());
      await predict(usedCar());
      const response = await gateway!.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/plain/);
      assert.match(response.body, new RegExp(`mlops_gateway_endpoint_calls_total\\{endpoint="${ENDPOINT.xgboost}",variant="${MODEL.xgboost}"\\} 2`));
      const sanity = sanityFromGateway(ENDPOINT.xgboost, parsePrometheusText(response.body).samples);
      const positions = sanity.variants.find((v) => v.variantName === MODEL.xgboost)?.positions;
      // 123.5 lies below the label's training range 8638.93..70755.47 by 14 % of its width: outside a 10 % tolerance, inside 20 %.
      assert.equal(positions?.count, 2);
      assert.equal(positions?.counts[positions.bounds.indexOf(-0.2)], 0);
      assert.equal(positions?.counts[positions.bounds.indexOf(-0.1)], 2);
    });

    it('when an endpoint fails, then the failure is counted by its kind under the variant unknown', async () => {
      startGateway({ runtimeUrl: await refusedUrl() });
      await predict(usedCar());
      const body = (await gateway!.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(body, new RegExp(`mlops_gateway_endpoint_call_errors_total\\{endpoint="${ENDPOINT.xgboost}",variant="unknown",error="unavailable"\\} 1`));
    });
  });
});
