import type { InsightRows, InsightTable } from '../../common/types/insights';
import { joinUri, s3Uri } from '../../common/uri';
import type { ObjectStore } from '../backends/types';

type ParquetType = 'STRING' | 'DOUBLE' | 'INT32' | 'INT64' | 'TIMESTAMP';
type Columns<T> = { [K in keyof T]: ParquetType };

/** Each table's columns and Parquet types, in file order (the schema DuckDB and Athena see). */
const SCHEMAS: { [T in InsightTable]: Columns<InsightRows[T]> } = {
  drift_records: {
    detected_at: 'TIMESTAMP',
    project: 'STRING',
    family: 'STRING',
    model_name: 'STRING',
    model_version: 'INT32',
    endpoint_name: 'STRING',
    kind: 'STRING',
    source: 'STRING',
    monitoring_workflow_id: 'STRING',
    monitoring_run_id: 'STRING',
    window_start: 'TIMESTAMP',
    window_end: 'TIMESTAMP',
    feature: 'STRING',
    metric: 'STRING',
    check_type: 'STRING',
    baseline_value: 'DOUBLE',
    current_value: 'DOUBLE',
    description: 'STRING',
    report_uri: 'STRING',
    data_uri: 'STRING',
  },
  scoring_records: {
    scored_at: 'TIMESTAMP',
    project: 'STRING',
    family: 'STRING',
    model_name: 'STRING',
    model_version: 'INT32',
    scoring_workflow_id: 'STRING',
    scoring_run_id: 'STRING',
    input_uri: 'STRING',
    output_uri: 'STRING',
    capture_uri: 'STRING',
    records: 'INT64',
    prediction_mean: 'DOUBLE',
    prediction_min: 'DOUBLE',
    prediction_max: 'DOUBLE',
  },
  inference_volumes: {
    hour: 'TIMESTAMP',
    project: 'STRING',
    family: 'STRING',
    model_name: 'STRING',
    model_version: 'INT32',
    endpoint_name: 'STRING',
    variant_name: 'STRING',
    requests: 'INT64',
    prediction_mean: 'DOUBLE',
    monitoring_workflow_id: 'STRING',
    monitoring_run_id: 'STRING',
  },
};

/** The column that decides a row's `dt=` partition. */
const PARTITION_COLUMN: { [T in InsightTable]: keyof InsightRows[T] & string } = {
  drift_records: 'detected_at',
  scoring_records: 'scored_at',
  inference_volumes: 'hour',
};

export function insightsRootUri(bucket: string): string {
  return s3Uri(bucket, 'insights');
}

/** hyparquet ships as ES modules only: loaded with import(), which this CommonJS build keeps as is. */
const writer = () => import('hyparquet-writer');
const reader = () => import('hyparquet');

export async function encodeInsightRows<T extends InsightTable>(table: T, rows: InsightRows[T][]): Promise<Buffer> {
  const { parquetWriteBuffer } = await writer();
  const schema = SCHEMAS[table] as Record<string, ParquetType>;
  const columnData = Object.entries(schema).map(([name, type]) => {
    const values = rows.map((row) => (row as unknown as Record<string, unknown>)[name] ?? null);
    // INT64 columns are bigint in Parquet's JS model; counts stay numbers in ours.
    const data = type === 'INT64' ? values.map((v) => (v === null ? null : BigInt(Math.round(Number(v))))) : values;
    return { name, type, data: data as never[] };
  });
  return Buffer.from(parquetWriteBuffer({ columnData, createdBy: 'temporal-mlops' }));
}

export async function decodeInsightRows<T extends InsightTable>(table: T, body: Buffer): Promise<InsightRows[T][]> {
  const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  const schema = SCHEMAS[table] as Record<string, ParquetType>;
  const { parquetReadObjects } = await reader();
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [name, type] of Object.entries(schema)) {
      const value = row[name] ?? null;
      out[name] = type === 'INT64' && typeof value === 'bigint' ? Number(value) : value;
    }
    return out as unknown as InsightRows[T];
  });
}

function day(value: Date): string {
  return value.toISOString().slice(0, 10);
}

/**
 * Writes rows as `<root>/<table>/dt=YYYY-MM-DD/<fileStem>.parquet`, one file per day the rows fall
 * on. The file name is deterministic per producer (a run), so a retried activity overwrites its own
 * file instead of adding a duplicate.
 */
export async function writeInsightRows<T extends InsightTable>(store: ObjectStore, bucket: string, table: T, fileStem: string, rows: InsightRows[T][]): Promise<string[]> {
  const byDay = new Map<string, InsightRows[T][]>();
  for (const row of rows) {
    const d = day((row as unknown as Record<string, Date>)[PARTITION_COLUMN[table]]!);
    byDay.set(d, [...(byDay.get(d) ?? []), row]);
  }
  const written: string[] = [];
  for (const [d, dayRows] of [...byDay].sort(([a], [b]) => a.localeCompare(b))) {
    const uri = joinUri(insightsRootUri(bucket), table, `dt=${d}`, `${fileStem.replace(/[^A-Za-z0-9._-]+/g, '_')}.parquet`);
    await store.put(uri, await encodeInsightRows(table, dayRows), { contentType: 'application/vnd.apache.parquet' });
    written.push(uri);
  }
  return written;
}

/** The days (`dt=` partitions) a table has, oldest first: one listing, no file read. */
export async function insightDays(store: ObjectStore, bucket: string, table: InsightTable): Promise<string[]> {
  const days = new Set<string>();
  for (const uri of await store.list(joinUri(insightsRootUri(bucket), table) + '/')) {
    const d = /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(uri)?.[1];
    if (d && uri.endsWith('.parquet')) days.add(d);
  }
  return [...days].sort();
}

/** Every row of a table (optionally only the partitions in [fromDay, toDay]), oldest partition first. */
export async function readInsightRows<T extends InsightTable>(
  store: ObjectStore,
  bucket: string,
  table: T,
  range: { fromDay?: string; toDay?: string } = {},
  onUnreadable: (uri: string, err: unknown) => void = (uri, err) => console.warn(`skipping unreadable insights file ${uri}: ${err instanceof Error ? err.message : String(err)}`),
): Promise<InsightRows[T][]> {
  const uris = (await store.list(joinUri(insightsRootUri(bucket), table) + '/')).filter((u) => u.endsWith('.parquet'));
  const out: InsightRows[T][] = [];
  for (const uri of uris) {
    const d = /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(uri)?.[1];
    if (!d || (range.fromDay && d < range.fromDay) || (range.toDay && d > range.toDay)) continue;
    try {
      out.push(...(await decodeInsightRows(table, await store.get(uri))));
    } catch (err) {
      // One unreadable file (truncated, not ours) must not hide the rest of the table.
      onUnreadable(uri, err);
    }
  }
  return out;
}
