import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse/sync';
import type { DataProcessing } from '../../common/types/scoring';

/**
 * Batch capture derived from a finished transform: SageMaker's batch DataCaptureConfig writes only
 * manifests (lists of the input and `.out` objects), while monitoring and the scoring records read one
 * `<input>.captured.csv` per input object (record id, the model input, the prediction), which the
 * local transform container writes itself. This module builds that file from the two objects the
 * manifests point at: the input (the records as the job read them) and its `.out` (one line per
 * record, in order, as `SplitType: Line` + `AssembleWith: Line` guarantee). Pure file work, no store.
 */

/** The field positions an index filter (`$`, `$[*]`, `$[i]`, `$[i,j]`, `$[a:b]`, `$[0,5:]`) selects from a CSV record of `n` fields (shared: not to be mutated). */
export type CsvFieldSelector = (n: number) => number[];

type FilterItem = { index: number } | { start: number | undefined; end: number | undefined };

/**
 * SageMaker's JSONPath subset as it applies to CSV records, with the developer guide's inclusive
 * slice end (`$[1:4]` = second through fifth field), as the transform container implements it.
 */
export function compileCsvFilter(text: string): CsvFieldSelector {
  const filter = text.trim();
  // The whole record is the range over every field.
  const body = filter === '$' || filter === '$[*]' || filter === '$.*' ? ':' : /^\$\[([-0-9:, ]+)\]$/.exec(filter)?.[1];
  if (body === undefined) throw new Error(`filter '${text}' does not select fields of a CSV record (supported: $, $[*], $[i,j], $[a:b])`);
  const items: FilterItem[] = body.split(',').map((part) => {
    const bound = (s: string | undefined) => (s === undefined || s.trim() === '' ? undefined : Number(s));
    const [a, b, extra] = part.split(':');
    if (extra !== undefined) throw new Error(`filter '${text}': slice steps are not supported`);
    const item: FilterItem = b === undefined ? { index: Number(a) } : { start: bound(a), end: bound(b) };
    for (const v of Object.values(item)) if (v !== undefined && !Number.isInteger(v)) throw new Error(`filter '${text}': '${part.trim()}' is not an index or a range`);
    return item;
  });
  if (items.filter((i) => !('index' in i)).length > 1) throw new Error(`filter '${text}': only single range filters are supported`);
  // The positions depend only on the field count, which is the same for nearly every record.
  const byFieldCount = new Map<number, number[]>();
  return (n) => {
    const known = byFieldCount.get(n);
    if (known) return known;
    const positions = resolve(n);
    byFieldCount.set(n, positions);
    return positions;
  };

  function resolve(n: number): number[] {
    return items.flatMap((item) => {
      if ('index' in item) {
        const j = item.index < 0 ? item.index + n : item.index;
        if (j < 0 || j >= n) throw new Error(`filter '${text}': index ${item.index} is out of range for a record of ${n} fields`);
        return [j];
      }
      const start = Math.max(item.start === undefined ? 0 : item.start < 0 ? item.start + n : item.start, 0);
      const end = Math.min(item.end === undefined ? n - 1 : item.end < 0 ? item.end + n : item.end, n - 1);
      return start <= end ? Array.from({ length: end - start + 1 }, (_, i) => start + i) : [];
    });
  }
}

export function csvFields(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  return (parseCsv(line, { relax_column_count: true, relax_quotes: true }) as string[][])[0] ?? [''];
}

export function csvField(text: string): string {
  return /[,"\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^(nan|NaN|-?inf(inity)?|-?Infinity)$/;
const SCORE = /"score"\s*:\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/;

/** The prediction of one `.out` line: a number field, or a JSON `{"score": v}` (Linear Learner answers JSON). */
function predictionText(field: string | undefined, line: string): string | undefined {
  const text = field?.trim();
  if (text !== undefined && NUMBER.test(text)) return text;
  // The JSON may have landed in its own field or, with its commas, across several of them.
  return SCORE.exec(text ?? '')?.[1] ?? SCORE.exec(line.replace(/""/g, '"'))?.[1];
}

export interface DeriveCaptureOptions {
  /** The input object's key relative to the job's input prefix (record ids are `<name>:<line>` without inference ids). */
  name: string;
  /** Feature names in model order (the capture header). */
  featureNames: string[];
  dataProcessing: DataProcessing;
  /** The job appended an inference id (then its time) to every output record. */
  generateInferenceId: boolean;
}

/** Writes `captureFile` from `inputFile` and its `outFile`; returns the record count. Throws with file and line on anything that does not line up. */
export async function deriveCaptureFile(inputFile: string, outFile: string, captureFile: string, options: DeriveCaptureOptions): Promise<number> {
  const inputFilter = compileCsvFilter(options.dataProcessing.inputFilter);
  const outputFilter = compileCsvFilter(options.dataProcessing.outputFilter);
  const join = options.dataProcessing.joinSource === 'Input';
  const inputs = nonBlankLines(inputFile);
  const outputs = nonBlankLines(outFile);
  const sink = createWriteStream(captureFile);
  const write = async (text: string) => {
    if (!sink.write(text)) await once(sink, 'drain');
  };
  let records = 0;
  try {
    await write(['record_id', ...options.featureNames, 'prediction'].map(csvField).join(',') + '\n');
    for (;;) {
      const [input, output] = await Promise.all([inputs.next(), outputs.next()]);
      if (input.done && output.done) break;
      if (input.done || output.done) {
        const [more, fewer] = input.done ? ['.out', 'input'] : ['input', '.out'];
        throw new Error(`${options.name}: the ${more} has more records than the ${fewer} (${records} in both): they do not line up`);
      }
      const [lineNo, inputLine] = input.value;
      const where = `${options.name}: line ${lineNo}`;
      const record = csvFields(inputLine);
      const features = inputFilter(record.length).map((j) => record[j]!);
      if (features.length !== options.featureNames.length) {
        throw new Error(`${where}: ${features.length} model input fields after InputFilter '${options.dataProcessing.inputFilter}', the feature schema names ${options.featureNames.length}`);
      }
      const outLine = output.value[1];
      const out = csvFields(outLine);
      // Where the prediction sits: the joined record is the input's fields plus the prediction.
      const selected = outputFilter(join ? record.length + 1 : 1);
      const at = selected.indexOf(join ? record.length : 0);
      const prediction = predictionText(at >= 0 ? out[at] : undefined, outLine);
      if (prediction === undefined) throw new Error(`${options.name}: .out line ${output.value[0]}: no prediction (OutputFilter '${options.dataProcessing.outputFilter}')`);
      const inferenceId = options.generateInferenceId ? out[selected.length] : undefined;
      const recordId = inferenceId && !NUMBER.test(inferenceId) ? inferenceId : `${options.name}:${lineNo}`;
      await write([recordId, ...features, prediction].map(csvField).join(',') + '\n');
      records += 1;
    }
  } finally {
    sink.end();
    await once(sink, 'close');
    await Promise.all([inputs.return(undefined), outputs.return(undefined)]);
  }
  return records;
}

/** [1-based line number, text] of every non-blank line (a leading BOM dropped), streamed. */
async function* nonBlankLines(file: string): AsyncGenerator<[number, string], void, undefined> {
  const reader = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const raw of reader) {
      lineNo += 1;
      const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() !== '') yield [lineNo, line];
    }
  } finally {
    reader.close();
  }
}
