import { once } from 'node:events';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { compileCsvFilter, csvField, csvFields } from '../../scoring/derive-capture';
import { joinUri } from '../../../common/uri';
import { JOIN_PLAN, type TransformJoinPlan } from './job-requests';
import type { AwsObjectStore } from './object-store';

/**
 * The second half of a Linear Learner transform with a CSV join (job-requests.ts): each input
 * object's lines joined, in order, with the JSON Lines answers of its `.out` under the raw prefix
 * (`SplitType Line` + `AssembleWith Line` keep one answer per record, in input order), the
 * OutputFilter applied to `input fields + score`, and the inference id and time appended after it
 * as SageMaker does for CSV. Writes `<outputPath>/<name>.out`; an output already there is kept, so
 * a retried attempt does only what is left.
 */
export async function completeTransformJoin(store: AwsObjectStore, plan: TransformJoinPlan, heartbeat: () => void = () => undefined): Promise<string[]> {
  const inputPrefix = plan.inputPrefix.replace(/\/?$/, '/');
  const inputs = (await store.list(inputPrefix)).filter((u) => !u.endsWith('/'));
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-transform-join-'));
  const written: string[] = [];
  try {
    for (const inputUri of inputs) {
      const name = inputUri.slice(inputPrefix.length);
      const target = joinUri(plan.outputPath, `${name}.out`);
      if (await store.head(target)) {
        written.push(target);
        continue;
      }
      const raw = joinUri(plan.rawPath, `${name}.out`);
      const [inputFile, rawFile, joinedFile] = ['input', 'raw', 'joined'].map((f) => path.join(dir, f)) as [string, string, string];
      await store.download(inputUri, inputFile);
      await store.download(raw, rawFile);
      heartbeat();
      await joinFile(inputFile, rawFile, joinedFile, name, plan);
      await store.putFile(target, joinedFile, { contentType: 'text/csv' });
      written.push(target);
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  return written;
}

export async function writeJoinPlan(store: AwsObjectStore, plan: TransformJoinPlan): Promise<void> {
  await store.put(joinUri(plan.rawPath, JOIN_PLAN), JSON.stringify(plan), { contentType: 'application/json' });
}

export async function readJoinPlan(store: AwsObjectStore, rawPath: string): Promise<TransformJoinPlan | undefined> {
  const uri = joinUri(rawPath, JOIN_PLAN);
  if (!(await store.head(uri))) return undefined;
  return JSON.parse((await store.get(uri)).toString('utf8')) as TransformJoinPlan;
}

/** The score of one JSON Lines answer of Linear Learner (`{"score": v}`, or `{"predictions": [{"score": v}]}`). */
function answerOf(line: string, where: string): { score: string; inferenceId?: string; inferenceTime?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    throw new Error(`${where}: not a JSON answer: ${line.slice(0, 80)}`);
  }
  const obj = (doc && typeof doc === 'object' ? doc : {}) as Record<string, unknown>;
  const first = Array.isArray(obj.predictions) ? (obj.predictions[0] as Record<string, unknown> | undefined) : undefined;
  const score = obj.score ?? first?.score;
  if (typeof score !== 'number' && typeof score !== 'string') throw new Error(`${where}: no score in ${line.slice(0, 80)}`);
  const id = obj.SageMakerInferenceId;
  const time = obj.SageMakerInferenceTime;
  return { score: String(score), ...(typeof id === 'string' ? { inferenceId: id } : {}), ...(typeof time === 'string' ? { inferenceTime: time } : {}) };
}

async function joinFile(inputFile: string, rawFile: string, joinedFile: string, name: string, plan: TransformJoinPlan): Promise<void> {
  const outputFilter = compileCsvFilter(plan.outputFilter);
  const inputs = lines(inputFile);
  const answers = lines(rawFile);
  const sink = createWriteStream(joinedFile);
  let records = 0;
  try {
    for (;;) {
      const [input, answer] = await Promise.all([inputs.next(), answers.next()]);
      if (input.done && answer.done) break;
      if (input.done || answer.done) throw new Error(`${name}: the ${input.done ? 'transform answered more records' : 'input has more records'} than ${input.done ? 'the input has' : 'the transform answered'} (${records} in both)`);
      const fields = csvFields(input.value);
      const { score, inferenceId, inferenceTime } = answerOf(answer.value, `${name}: answer ${records + 1}`);
      const joined = [...fields, score];
      const selected = outputFilter(joined.length).map((j) => joined[j]!);
      if (plan.generateInferenceId && inferenceId) selected.push(inferenceId, inferenceTime ?? '');
      if (!sink.write(selected.map(csvField).join(',') + '\n')) await once(sink, 'drain');
      records += 1;
    }
  } finally {
    sink.end();
    await once(sink, 'close');
    await Promise.all([inputs.return(undefined), answers.return(undefined)]);
  }
}

async function* lines(file: string): AsyncGenerator<string, void, undefined> {
  const reader = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  try {
    for await (const raw of reader) if (raw.trim() !== '') yield raw.replace(/^\uFEFF/, '');
  } finally {
    reader.close();
  }
}
