/**
 * `iot-ai import --sketch TRAIN.csv` (#28): the training distribution of an imported model's features, the same
 * quantile sketch `iot-ai train` writes (monitor/sketch.ts), built from the user's own training rows, so
 * model-predict's drift monitoring works for a model trained elsewhere.
 *
 * TRAIN.csv: a header naming the model's features (in any order; other columns, such as the label, are ignored),
 * one row per training example; an empty cell (or NA, NaN, ?, null) is a missing value.
 */
import type { CsvTable } from '../data/csv';
import { isMissingCell } from '../data/dataset';
import { buildFeatureSketch, type FeatureSketch } from '../monitor/sketch';

/** The sketch of `table`'s rows for `featureNames`. Never throws. */
export function sketchFromTable(featureNames: readonly string[], table: CsvTable): { ok: true; sketch: FeatureSketch } | { ok: false; error: string } {
  const columns = featureNames.map((name) => table.header.indexOf(name));
  const absent = featureNames.filter((_, f) => columns[f] === -1);
  if (absent.length > 0) return { ok: false, error: `the training rows have no column for ${absent.map((n) => JSON.stringify(n)).join(', ')} (their header: ${table.header.join(', ')})` };
  if (table.rows.length === 0) return { ok: false, error: 'the training rows file has no rows' };
  const rows: Float64Array[] = [];
  for (let r = 0; r < table.rows.length; r++) {
    const row = new Float64Array(featureNames.length);
    for (let f = 0; f < featureNames.length; f++) {
      const cell = table.rows[r][columns[f]] ?? '';
      const value = isMissingCell(cell) ? NaN : Number(cell.trim());
      if (!isMissingCell(cell) && !Number.isFinite(value)) return { ok: false, error: `row ${r + 1}, column ${JSON.stringify(featureNames[f])}: ${JSON.stringify(cell.slice(0, 40))} is not a number` };
      row[f] = value;
    }
    rows.push(row);
  }
  return { ok: true, sketch: buildFeatureSketch(featureNames, rows) };
}
