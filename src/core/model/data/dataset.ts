/**
 * Training examples from a CSV table (`iot-ai train` without `--window`, and model-train's exported CSV):
 * which columns are features, parsing their numbers, choosing the task and encoding labels.
 */
import { CsvProblem, CsvTable } from './csv';
import type { Task } from '../forest/trainer';
import { describeFeatureValueQuoted, featureVector } from './vector';

/** Columns that are never features: they identify or time a row, or hold a simulator's ground truth. */
export const RESERVED_COLUMNS = ['deviceId', 'ts'];
export const TRUTH_PREFIX = 'truth.';

export interface Examples {
  featureNames: string[];
  rows: Float64Array[];
  task: Task;
  /** Classification: class index per row; regression: the value per row. */
  target: Float64Array;
  /** Classification: the label of each class index (sorted). */
  labels?: string[];
}

export interface TableOptions {
  label: string;
  ignore?: readonly string[];
  task?: Task;
}

export type ExamplesResult = { ok: true; examples: Examples } | { ok: false; error: CsvProblem | { message: string } };

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Feature cells read as a missing value (NaN), compared case-insensitively after trimming: an empty cell, `NA`,
 * `N/A`, `NaN`, `?` and `null` (what R, pandas, spreadsheets and the UCI archive write). The list is documented
 * in docs/nodes/model-train.md and the README.
 */
export const MISSING_TOKENS: readonly string[] = ['', 'na', 'n/a', 'nan', '?', 'null'];

export function isMissingCell(text: string): boolean {
  return MISSING_TOKENS.includes(text.trim().toLowerCase());
}

/** A feature cell as a number: decimal notation, or true/false as 1/0 (as feature-window counts booleans). */
export function parseNumber(text: string): number | null {
  const trimmed = text.trim();
  if (DECIMAL.test(trimmed)) return Number(trimmed);
  if (trimmed === 'true' || trimmed === 'TRUE') return 1;
  if (trimmed === 'false' || trimmed === 'FALSE') return 0;
  return null;
}

/** The feature columns of a header: all but the label, deviceId, ts, ignored and `truth.*` columns. */
export function featureColumns(header: readonly string[], label: string, ignore: readonly string[] = []): string[] {
  return header.filter(
    (name) => name !== label && !RESERVED_COLUMNS.includes(name) && !ignore.includes(name) && !name.startsWith(TRUTH_PREFIX),
  );
}

/**
 * Regression when every label is a number and there are more than 10 distinct values; classification
 * otherwise (a numeric column with few values, like 0/1 or 1..5, is most likely classes).
 */
export function detectTask(labelValues: readonly string[]): Task {
  const distinct = new Set<number>();
  for (const value of labelValues) {
    const number = parseNumber(value);
    if (number === null || value.trim() === 'true' || value.trim() === 'false') return 'classification';
    distinct.add(number);
  }
  return distinct.size > 10 ? 'regression' : 'classification';
}

/** Sorted distinct labels (numerically when all are numbers) and each value's class index. */
export function encodeLabels(values: readonly string[]): { labels: string[]; codes: Float64Array } {
  const distinct = [...new Set(values)];
  const allNumeric = distinct.every((v) => parseNumber(v) !== null);
  distinct.sort(allNumeric ? (a, b) => (parseNumber(a) as number) - (parseNumber(b) as number) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(distinct.map((label, i) => [label, i]));
  return { labels: distinct, codes: Float64Array.from(values, (v) => index.get(v) as number) };
}

/** Reads a table of one example per row. Errors name the line and column of the bad cell. */
export function examplesFromTable(table: CsvTable, options: TableOptions): ExamplesResult {
  const labelValues: string[] = [];
  let labelColumn = -1;
  const read = readFeatureTable(table, options.label, options.ignore ?? [], (r, record, column) => {
    labelColumn = column as number;
    const label = record[labelColumn].trim();
    if (label === '') {
      return { ...table.position(r, labelColumn), message: `empty value in label column ${JSON.stringify(options.label)}` };
    }
    labelValues.push(label);
    return null;
  }, true);
  if (!read.ok) return read;
  return examplesFromValues(read.featureNames, read.rows, labelValues, options.task, (r) => table.position(r, labelColumn));
}

/**
 * The feature columns of a table as numbers, checking the header first. With a `label` (which must be a
 * column), `onLabel` sees each row's record after its features parsed; its error stops the reading.
 */
export function readFeatureTable(
  table: CsvTable,
  label: string | undefined,
  ignore: readonly string[],
  onLabel?: (row: number, record: readonly string[], labelColumn: number) => CsvProblem | null,
  /** Read missing cells (isMissingCell) as NaN; otherwise they are errors (anomaly baselines need every value). */
  allowMissing = false,
): { ok: true; featureNames: string[]; rows: Float64Array[] } | { ok: false; error: CsvProblem | { message: string } } {
  const { header } = table;
  const seen = new Map<string, number>();
  for (let c = 0; c < header.length; c++) {
    if (header[c] === '') return { ok: false, error: { ...table.position(-1, c), message: 'empty column name' } };
    if (seen.has(header[c])) {
      return { ok: false, error: { ...table.position(-1, c), message: `duplicate column name ${JSON.stringify(header[c])}` } };
    }
    seen.set(header[c], c);
  }
  const labelColumn = label === undefined ? undefined : seen.get(label);
  if (label !== undefined && labelColumn === undefined) {
    return { ok: false, error: { message: `no column named ${JSON.stringify(label)} (columns: ${header.join(', ')})` } };
  }
  const unknownIgnored = ignore.find((name) => !seen.has(name));
  if (unknownIgnored !== undefined) {
    return { ok: false, error: { message: `--ignore names ${JSON.stringify(unknownIgnored)}, which is not a column` } };
  }
  const featureNames = featureColumns(header, label ?? '', ignore);
  if (featureNames.length === 0) return { ok: false, error: { message: 'no feature columns left' } };
  if (table.rows.length === 0) return { ok: false, error: { message: 'no data rows after the header' } };
  const featureIndex = featureNames.map((name) => seen.get(name) as number);

  const rows: Float64Array[] = [];
  for (let r = 0; r < table.rows.length; r++) {
    const record = table.rows[r];
    const row = new Float64Array(featureNames.length);
    for (let f = 0; f < featureIndex.length; f++) {
      const cell = record[featureIndex[f]];
      if (allowMissing && isMissingCell(cell)) {
        row[f] = NaN;
        continue;
      }
      const value = parseNumber(cell);
      if (value === null || !Number.isFinite(value)) {
        const what = cell.trim() === '' ? 'empty value' : `${JSON.stringify(cell)} is not a number`;
        return { ok: false, error: { ...table.position(r, featureIndex[f]), message: `${what} in feature column ${JSON.stringify(featureNames[f])}` } };
      }
      row[f] = value;
    }
    if (labelColumn !== undefined && onLabel !== undefined) {
      const problem = onLabel(r, record, labelColumn);
      if (problem !== null) return { ok: false, error: problem };
    }
    rows.push(row);
  }
  return { ok: true, featureNames, rows };
}

/**
 * Examples from already numeric rows and their raw labels (also the end of the `--window` path).
 * `where(row)` locates a row's label for error messages, when there is a file behind it.
 */
export function examplesFromValues(
  featureNames: string[],
  rows: Float64Array[],
  labelValues: readonly string[],
  task: Task | undefined,
  where?: (row: number) => { line: number; column: number },
): ExamplesResult {
  const chosenTask = task ?? detectTask(labelValues);
  if (chosenTask === 'regression') {
    const target = new Float64Array(labelValues.length);
    for (let r = 0; r < labelValues.length; r++) {
      const value = parseNumber(labelValues[r]);
      if (value === null || !Number.isFinite(value)) {
        const message = `label ${JSON.stringify(labelValues[r])} is not a number (regression needs numeric labels)`;
        return { ok: false, error: where === undefined ? { message } : { ...where(r), message } };
      }
      target[r] = value;
    }
    return { ok: true, examples: { featureNames, rows, task: 'regression', target } };
  }
  const { labels, codes } = encodeLabels(labelValues);
  return { ok: true, examples: { featureNames, rows, task: 'classification', target: codes, labels } };
}

/** One labelled example as the model-train node collects it: `msg.payload.features` and its label. */
export interface FeatureRecord {
  features: Record<string, unknown>;
  label: unknown;
}

/**
 * Examples from collected feature messages. Feature names are `featureNames` when given, else every name seen,
 * sorted. A feature a record lacks, or holds as null or NaN, is missing (NaN: the trees learn where it goes);
 * a record holding any other non-number is refused; errors name the record by index.
 */
export function examplesFromRecords(
  records: readonly FeatureRecord[],
  options: { featureNames?: readonly string[]; task?: Task } = {},
): ExamplesResult {
  if (records.length === 0) return { ok: false, error: { message: 'no examples' } };
  const names = recordFeatureNames(records, options.featureNames);
  if (names.length === 0) return { ok: false, error: { message: 'the examples have no features' } };
  const rows: Float64Array[] = [];
  const labelValues: string[] = [];
  for (let r = 0; r < records.length; r++) {
    const { features, label } = records[r];
    const row = recordRow(names, features, r, true);
    if (!row.ok) return row;
    if (!(typeof label === 'string' || typeof label === 'number' || typeof label === 'boolean') || String(label).trim() === '') {
      return { ok: false, error: { message: `example ${r}: label must be a non-empty string, number or boolean` } };
    }
    rows.push(row.row);
    labelValues.push(String(label).trim());
  }
  return examplesFromValues(names, rows, labelValues, options.task);
}

/** The feature names of collected records: `featureNames` when given, else every name seen, sorted. */
export function recordFeatureNames(records: ReadonlyArray<{ features?: Record<string, unknown> }>, featureNames?: readonly string[]): string[] {
  return featureNames?.slice() ?? [...new Set(records.flatMap((record) => Object.keys(record.features ?? {})))].sort();
}

/**
 * One record's features in `names` order; a non-numeric feature is refused, naming example `index`. An absent,
 * null or NaN feature is NaN with `allowMissing`, else refused too.
 */
export function recordRow(
  names: readonly string[],
  features: Record<string, unknown> | undefined,
  index: number,
  allowMissing = false,
): { ok: true; row: Float64Array } | { ok: false; error: { message: string } } {
  const vector = featureVector(names, features, { allowMissing });
  if (vector.ok) return { ok: true, row: vector.row };
  const { name, value } = vector.problem;
  return { ok: false, error: { message: `example ${index}: feature ${JSON.stringify(name)} ${describeFeatureValueQuoted(value)}` } };
}
