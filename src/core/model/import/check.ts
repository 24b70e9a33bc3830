/**
 * `iot-ai import --check DATA.csv --expect EXPECTED.csv`: the converted model against the predictions the source
 * library exported for the same rows, so a user can prove the conversion on their own data.
 *
 * DATA.csv: a header naming the model's features (in any order; other columns are ignored), one row per
 * prediction; an empty cell (or NA, NaN, ?, null) is a missing value. EXPECTED.csv, row for row: regression, a
 * `value` column (or a file of one column); classification, a `label` column and/or one column per label named
 * as the label (its probability). Differences are relative: |ours − theirs| ≤ tolerance · |theirs| (+1e-12).
 */
import type { CsvTable } from '../data/csv';
import { isMissingCell } from '../data/dataset';
import type { LoadedModel } from '../file/model-file';

export interface CheckReport {
  rows: number;
  /** Values and probabilities compared. */
  compared: number;
  /** The largest difference found (absolute, and relative to the expected value), where. */
  largest: { absolute: number; relative: number; row: number; column: string } | null;
  /** Differences beyond the tolerance. */
  beyond: number;
  /** Rows whose label differs (classification with a `label` column). */
  labelMismatches: Array<{ row: number; ours: string; theirs: string }>;
  labelsCompared: number;
}

export type CheckResult = { ok: true; report: CheckReport } | { ok: false; error: string };

export const DEFAULT_TOLERANCE = 1e-6;

function numberCell(text: string): number {
  return isMissingCell(text) ? NaN : Number(text.trim());
}

/** Compares `model`'s predictions of `data`'s rows with `expected`'s. Never throws. */
export function checkPredictions(model: LoadedModel, data: CsvTable, expected: CsvTable, tolerance = DEFAULT_TOLERANCE): CheckResult {
  const { featureNames, task } = model.file;
  const columns = featureNames.map((name) => data.header.indexOf(name));
  const absent = featureNames.filter((_, f) => columns[f] === -1);
  if (absent.length > 0) return { ok: false, error: `the data has no column for ${absent.map((n) => JSON.stringify(n)).join(', ')} (its header: ${data.header.join(', ')})` };
  if (data.rows.length !== expected.rows.length) return { ok: false, error: `the data has ${data.rows.length} rows but the expected predictions ${expected.rows.length}` };
  if (data.rows.length === 0) return { ok: false, error: 'the data has no rows' };
  const targets: Array<{ column: number; name: string; read: (prediction: ReturnType<LoadedModel['predictVector']>) => number }> = [];
  let labelColumn = -1;
  if (task === 'regression') {
    let column = expected.header.indexOf('value');
    if (column === -1 && expected.header.length === 1) column = 0;
    if (column === -1) return { ok: false, error: `the expected predictions need a "value" column (found ${expected.header.join(', ')})` };
    targets.push({ column, name: expected.header[column], read: (p) => p.value as number });
  } else if (task === 'classification') {
    labelColumn = expected.header.indexOf('label');
    for (const label of model.file.labels ?? []) {
      const column = expected.header.indexOf(String(label));
      if (column !== -1) targets.push({ column, name: String(label), read: (p) => (p.probabilities as Record<string, number>)[String(label)] });
    }
    if (labelColumn === -1 && targets.length === 0) {
      return { ok: false, error: `the expected predictions need a "label" column or a probability column named as each label (${(model.file.labels ?? []).join(', ')}); found ${expected.header.join(', ')}` };
    }
  } else {
    return { ok: false, error: `--check compares classification and regression models, not ${task} ones` };
  }
  const report: CheckReport = { rows: data.rows.length, compared: 0, largest: null, beyond: 0, labelMismatches: [], labelsCompared: 0 };
  const row = new Float64Array(featureNames.length);
  for (let r = 0; r < data.rows.length; r++) {
    for (let f = 0; f < featureNames.length; f++) {
      const x = numberCell(data.rows[r][columns[f]]);
      if (!Number.isNaN(x) || isMissingCell(data.rows[r][columns[f]])) row[f] = x;
      else return { ok: false, error: `data row ${r + 1}, column ${JSON.stringify(featureNames[f])}: ${JSON.stringify(data.rows[r][columns[f]])} is not a number` };
      if (!Number.isNaN(x) && !Number.isFinite(x)) return { ok: false, error: `data row ${r + 1}, column ${JSON.stringify(featureNames[f])}: ${x} is not finite` };
    }
    const prediction = model.predictVector(row);
    if (labelColumn !== -1) {
      const theirs = expected.rows[r][labelColumn].trim();
      const ours = String(prediction.label);
      report.labelsCompared++;
      // "1" and "1.0" name the same class index.
      if (ours !== theirs && !(theirs !== '' && Number(theirs) === Number(ours))) report.labelMismatches.push({ row: r + 1, ours, theirs });
    }
    for (const target of targets) {
      const theirs = numberCell(expected.rows[r][target.column]);
      if (!Number.isFinite(theirs)) return { ok: false, error: `expected row ${r + 1}, column ${JSON.stringify(target.name)}: ${JSON.stringify(expected.rows[r][target.column])} is not a finite number` };
      const ours = target.read(prediction);
      const absolute = Math.abs(ours - theirs);
      const relative = absolute === 0 ? 0 : absolute / Math.abs(theirs);
      report.compared++;
      if (absolute > tolerance * Math.abs(theirs) + 1e-12) report.beyond++;
      if (report.largest === null || relative > report.largest.relative || (relative === report.largest.relative && absolute > report.largest.absolute)) {
        report.largest = { absolute, relative, row: r + 1, column: target.name };
      }
    }
  }
  return { ok: true, report };
}
