import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parse as parseCsv } from 'csv-parse/sync';
import { createBackend } from '../../activities/backends';
import type { Backend } from '../../activities/backends/types';
import { deriveCaptureFile } from '../../activities/scoring/derive-capture';
import { REPO_ROOT } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { passThroughDataProcessing } from '../../common/data-processing';
import { ErrorType } from '../../common/errors';
import { startScoring } from '../../services/scoring/start-scoring';
import { waitForScoringReport } from '../../client/scoring/report';
import { waitForTrainingReport } from '../../client/training/report';
import { startTraining } from '../../services/training/start-training';
import { createLocalEnv } from '../helpers/temporal-env';
import { runWorkers, type RunningWorkers } from '../helpers/workers';
import { DATASET, tempDir, testConfig } from '../helpers/integration';

const SCORING_SAMPLE = path.join(REPO_ROOT, 'data', 'scoring-sample.csv');

/** Batch scoring on a real dev server with real jobs: champions trained first, then files scored. */
describe('batch scoring pipeline (integration: dev server, local backend, real jobs)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let home: string;
  let config: Config;
  let backend: Backend;
  let workers: RunningWorkers | undefined;

  before(async () => {
    env = await createLocalEnv();
    home = await tempDir('scoring');
    config = testConfig({ home });
    backend = createBackend(config);
    workers = await runWorkers(env, config, backend);
    const trained = await startTraining(env.client, backend, config, { data: DATASET, deploy: false, trigger: 'test' });
    const report = await waitForTrainingReport(trained.handle, (r) => r);
    assert.equal(report.status, 'completed', JSON.stringify(report.error));
  });

  after(async () => {
    await workers?.stop();
    await env?.teardown();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  it('when a scoring file is scored, then each champion writes <file>.out with id + prediction per input row, and the payload is captured for monitoring', async () => {
    const started = await startScoring(env.client, backend, config, { data: SCORING_SAMPLE, trigger: 'test' });
    const report = await waitForScoringReport(started.handle, (r) => r);
    assert.equal(report.status, 'completed', JSON.stringify(report.error));
    const input = (await fs.readFile(SCORING_SAMPLE, 'utf8')).trim().split('\n').slice(1);
    assert.deepEqual(report.outputs.map((o) => o.family).sort(), ['linear-learner', 'xgboost']);
    for (const o of report.outputs) {
      assert.equal(o.outputUris.length, 1);
      assert.match(o.outputUris[0]!, new RegExp(`/${o.family}/scoring-sample\\.csv\\.out$`));
      const lines = (await backend.objectStore.get(o.outputUris[0]!)).toString('utf8').trim().split('\n');
      assert.equal(lines.length, input.length, 'one output record per input record, in order');
      for (const [i, line] of lines.entries()) {
        const fields = line.split(',');
        assert.equal(fields[0], input[i]!.split(',')[0], 'the id is joined back first');
        const prediction = Number(fields[1]);
        assert.ok(Number.isFinite(prediction) && prediction > 1000 && prediction < 100_000, `${o.family} line ${i}: ${line}`);
      }
      assert.equal(o.captureUris.length, 1);
      const captured = (await backend.objectStore.get(o.captureUris[0]!)).toString('utf8').trim().split('\n');
      assert.match(captured[0]!, /^record_id,Mileage,.*,prediction$/);
      assert.equal(captured.length - 1, input.length);
      // The aws backend builds the same file from the job's input and .out (SageMaker's batch
      // capture is manifests only): it must match what the transform container wrote, byte for byte.
      const preprocessed = (await started.handle.result()).preprocessedPrefix;
      const features = (await backend.objectStore.list(preprocessed)).filter((u) => !u.endsWith('/'));
      assert.equal(features.length, 1);
      const files = ['in', 'out', 'derived'].map((f) => path.join(home, `${o.family}-${f}`)) as [string, string, string];
      await backend.objectStore.download(features[0]!, files[0]);
      await backend.objectStore.download(o.outputUris[0]!, files[1]);
      const model = (await backend.registry.listVersions()).find((v) => v.family === o.family)!;
      const schema = JSON.parse((await backend.objectStore.get(model.featureSchemaUri)).toString('utf8')) as { features: { name: string }[] };
      const name = features[0]!.slice(features[0]!.lastIndexOf('/') + 1);
      await deriveCaptureFile(...files, { name, featureNames: schema.features.map((f) => f.name), dataProcessing: passThroughDataProcessing(schema.features.length), generateInferenceId: true });
      assert.equal(await fs.readFile(files[2], 'utf8'), (await backend.objectStore.get(o.captureUris[0]!)).toString('utf8'));
    }
    const notes = await backend.notifier.recent(5);
    assert.ok(notes.some((n) => n.kind === 'scoring.succeeded'));
  });

  it('when the scoring file carries its own id column (car_id) and a free-text column, then both are joined back to each prediction, only the features reach the model, and the capture holds exactly the features + prediction', async () => {
    const sample = (await fs.readFile(SCORING_SAMPLE, 'utf8')).trim().split(/\r?\n/);
    const featureNames = sample[0]!.split(',').slice(1);
    const notes = ['one owner, garage kept', 'said "mint"', '', 'garé à Lyon'];
    const rows = sample.slice(1, 41).map((line, i) => ({ carId: `GM-${String(7000 + i)}`, note: notes[i % notes.length]!, features: line.split(',').slice(1) }));
    const quoted = (text: string) => (/[,"]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
    const file = path.join(home, 'own-ids.csv');
    await fs.writeFile(file, [['car_id', ...featureNames, 'note'].join(','), ...rows.map((r) => [r.carId, ...r.features, quoted(r.note)].join(','))].join('\n') + '\n');

    const started = await startScoring(env.client, backend, config, { data: file, trigger: 'test' });
    const report = await waitForScoringReport(started.handle, (r) => r);
    assert.equal(report.status, 'completed', JSON.stringify(report.error));
    const predictions: Record<string, number[]> = {};
    for (const o of report.outputs) {
      const out = parseCsv((await backend.objectStore.get(o.outputUris[0]!)).toString('utf8')) as string[][];
      assert.equal(out.length, rows.length, 'one output record per input record, in order');
      for (const [i, fields] of out.entries()) {
        assert.deepEqual(fields.slice(0, 2), [rows[i]!.carId, rows[i]!.note], `${o.family} line ${i + 1}: the file's own columns, as given`);
        assert.equal(fields.length, 5, 'car_id, note, prediction, inference id, inference time');
        const prediction = Number(fields[2]);
        assert.ok(Number.isFinite(prediction) && prediction > 1000 && prediction < 100_000, `${o.family} line ${i + 1}: ${fields.join(',')}`);
      }
      predictions[o.family] = out.map((f) => Number(f[2]));
      const captured = parseCsv((await backend.objectStore.get(o.captureUris[0]!)).toString('utf8')) as string[][];
      assert.deepEqual(captured[0], ['record_id', ...featureNames, 'prediction'], 'the capture: exactly the features + prediction');
      assert.deepEqual(captured.slice(1).map((c) => c.slice(1)), rows.map((r, i) => [...r.features, out[i]![2]!]));
      // The aws backend derives the same capture from the job's input and .out, quoted free text included.
      const preprocessed = (await started.handle.result()).preprocessedPrefix;
      const [features] = (await backend.objectStore.list(preprocessed)).filter((u) => !u.endsWith('/'));
      const files = ['in', 'out', 'derived'].map((f) => path.join(home, `own-${o.family}-${f}`)) as [string, string, string];
      await backend.objectStore.download(features!, files[0]);
      await backend.objectStore.download(o.outputUris[0]!, files[1]);
      await deriveCaptureFile(...files, { name: 'own-ids.csv', featureNames, dataProcessing: passThroughDataProcessing(featureNames.length), generateInferenceId: true });
      assert.equal(await fs.readFile(files[2], 'utf8'), (await backend.objectStore.get(o.captureUris[0]!)).toString('utf8'));
    }

    // Only the features reach the model: the same rows with rownames and no extra column score the same.
    const plain = path.join(home, 'plain-ids.csv');
    await fs.writeFile(plain, [sample[0]!, ...sample.slice(1, 41)].join('\n') + '\n');
    const again = await waitForScoringReport((await startScoring(env.client, backend, config, { data: plain, trigger: 'test' })).handle, (r) => r);
    for (const o of again.outputs) {
      const out = parseCsv((await backend.objectStore.get(o.outputUris[0]!)).toString('utf8')) as string[][];
      assert.deepEqual(out.map((f) => Number(f[1])), predictions[o.family]);
    }

    // Chosen columns only: --id-columns car_id keeps the id and drops the note.
    const chosen = await startScoring(env.client, backend, config, { data: file, idColumns: ['car_id'], newRun: true, trigger: 'test' });
    const chosenReport = await waitForScoringReport(chosen.handle, (r) => r);
    assert.equal(chosenReport.status, 'completed', JSON.stringify(chosenReport.error));
    for (const o of chosenReport.outputs) {
      const out = parseCsv((await backend.objectStore.get(o.outputUris[0]!)).toString('utf8')) as string[][];
      assert.deepEqual(out.map((f) => [f[0], Number(f[1])]), rows.map((r, i) => [r.carId, predictions[o.family]![i]]));
    }
  });

  it('when the scoring file breaks the schema, then the run fails without retry, notifies, and writes nothing to the output location', async () => {
    const bad = path.join(home, 'bad-scoring.csv');
    const lines = (await fs.readFile(SCORING_SAMPLE, 'utf8')).trim().split('\n');
    lines[5] = lines[5]!.replace(/^(\d+),\d+,/, '$1,lots,');
    await fs.writeFile(bad, lines.join('\n'));
    const started = await startScoring(env.client, backend, config, { data: bad, trigger: 'test' });
    const report = await waitForScoringReport(started.handle, (r) => r);
    assert.equal(report.status, 'failed');
    assert.equal(report.error?.type, ErrorType.DatasetSchemaInvalid);
    assert.match(report.error!.message, /bad-scoring\.csv.*Mileage.*line 6/);
    const written = await backend.objectStore.list('s3://mlops/scored/');
    assert.ok(!written.some((u) => u.includes('bad-scoring')), 'no partial output');
    assert.ok((await backend.notifier.recent(10)).some((n) => n.kind === 'scoring.failed' && /Mileage/.test(n.message)));
  });

  it('when the same scoring file version is submitted again, then the first run is returned', async () => {
    const again = await startScoring(env.client, backend, config, { data: SCORING_SAMPLE, trigger: 'test' });
    assert.equal(again.started, false);
  });
});
