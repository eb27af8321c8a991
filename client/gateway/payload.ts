import { parse as parseCsv } from 'csv-parse/sync';
import { EdgeError } from '../edge-errors';
import type { FeatureSchema } from '../../common/schemas/feature-schema';
import { checkTrainingRange, PayloadError, rawColumns, toFeatureVector, type OutOfRangeFlag } from './feature-vector';

export interface ParsedRecord {
  /** The model's feature vector, in the schema's order. */
  features: number[];
  /** The record's id columns, echoed back so callers can join results. */
  ids: Record<string, unknown>;
  /** Values outside the training range that the schema's policy answers but flags. */
  outOfRange: OutOfRangeFlag[];
}

/**
 * Parses a prediction request: JSON (one record, a list of records, or `{"records": [...]}`,
 * keyed by the raw feature names) or CSV (with a header naming the columns, or without one:
 * the features in the schema's order).
 */
export function parsePredictionPayload(contentType: string, body: unknown, schema: FeatureSchema, maxRecords: number): ParsedRecord[] {
  return readPredictionRecords(contentType, body, schema, maxRecords).map((record, index) => prepareRecord(record, schema, index));
}

/**
 * The request's records keyed by column name, before any feature rule: kept so a record can be
 * prepared again for another model's schema. A header-less CSV row is named by `schema`'s order.
 */
export function readPredictionRecords(contentType: string, body: unknown, schema: FeatureSchema, maxRecords: number): Record<string, unknown>[] {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  let records: Record<string, unknown>[];
  if (type === 'application/json') records = jsonRecords(body);
  else if (type === 'text/csv') records = csvRecords(typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : '', schema);
  else throw new UnsupportedMediaError(`content type '${type}' is not supported: send application/json or text/csv`);
  if (records.length === 0) throw new PayloadError('the request has no records');
  if (records.length > maxRecords) throw new PayloadError(`the request has ${records.length} records; at most ${maxRecords} per request`);
  return records;
}

/** One record under one model's schema: its feature vector, its ids and its out-of-range flags (or a PayloadError). */
export function prepareRecord(record: Record<string, unknown>, schema: FeatureSchema, index: number): ParsedRecord {
  const features = toFeatureVector(record, schema, index);
  return {
    features,
    ids: Object.fromEntries(schema.idColumns.filter((c) => record[c] !== undefined).map((c) => [c, record[c]])),
    outOfRange: checkTrainingRange(features, schema, index),
  };
}

export class UnsupportedMediaError extends EdgeError {
  constructor(message: string) {
    super('unsupported-media', 'UnsupportedMediaType', message);
    this.name = 'UnsupportedMediaError';
  }
}

function jsonRecords(body: unknown): Record<string, unknown>[] {
  const list = Array.isArray(body) ? body : isObject(body) && Array.isArray(body.records) ? body.records : [body];
  return list.map((item, index) => {
    if (!isObject(item)) throw new PayloadError(`record ${index}: must be a JSON object keyed by feature names`);
    return item;
  });
}

function csvRecords(text: string, schema: FeatureSchema): Record<string, unknown>[] {
  let rows: string[][];
  try {
    rows = parseCsv(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (err) {
    throw new PayloadError(`the CSV body cannot be parsed: ${(err as Error).message}`);
  }
  if (rows.length === 0) return [];
  const names = new Set([...rawColumns(schema), ...schema.idColumns, schema.label.name]);
  const first = rows[0]!;
  const hasHeader = first.some((cell) => names.has(cell));
  const columns = hasHeader ? first : rawColumns(schema);
  if (hasHeader) {
    const seen = new Set<string>();
    for (const c of first) {
      if (seen.has(c)) throw new PayloadError(`CSV header: column '${c}' appears twice`);
      seen.add(c);
    }
  }
  return rows.slice(hasHeader ? 1 : 0).map((row, index) => {
    if (row.length !== columns.length) {
      throw new PayloadError(`record ${index}: has ${row.length} fields, expected ${columns.length}${hasHeader ? ' (as in the header)' : ` (the features in order: ${columns.join(', ')})`}`);
    }
    return Object.fromEntries(columns.map((c, i) => [c, row[i]]));
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
