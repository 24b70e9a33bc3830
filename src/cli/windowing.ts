/**
 * Windowing a CSV of readings in wide form (`deviceId,ts,<sensor>...`) with feature-window's own engine, for
 * `iot-ai window` (feature rows out) and `iot-ai train --window` (examples in): training and serving can't disagree.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { normaliseTimestamp } from '../core/ingest/timestamps';
import { formatCsv, formatCsvProblem, parseCsv, type CsvTable } from '../core/model/data/csv';
import { isMissingCell } from '../core/model/data/dataset';
import { featureVector } from '../core/model/data/vector';
import { labelRowsOf, parseWindowConfig, windowRows, type WideRow, type WindowedRows } from '../core/window';
import { type CliIO, parseFlags, readCommandLine } from './args';
import { readPropertiesFile } from './config-file';
import { labelByHorizon } from '../core/model/data/horizon';
import type { ForecastExamplesHook, WindowExamplesHook } from './train';

/** Wide rows from a parsed CSV, with `ts` normalised as sensor-ingest does (seconds below 1e11, ISO 8601). */
export function wideRowsFromTable(table: CsvTable): { rows: WideRow[] } | { error: string } {
  const deviceColumn = table.header.indexOf('deviceId');
  const tsColumn = table.header.indexOf('ts');
  if (deviceColumn === -1 || tsColumn === -1) {
    return { error: `line 1: the header needs deviceId and ts columns (found ${table.header.join(', ')})` };
  }
  const rows: WideRow[] = [];
  for (let r = 0; r < table.rows.length; r++) {
    const record = table.rows[r];
    const deviceId = record[deviceColumn].trim();
    if (deviceId === '') return { error: formatCsvProblem({ ...table.position(r, deviceColumn), message: 'deviceId is empty' }) };
    const ts = normaliseTimestamp(record[tsColumn].trim());
    if (ts === undefined) {
      return { error: formatCsvProblem({ ...table.position(r, tsColumn), message: `ts ${JSON.stringify(record[tsColumn])} is not epoch seconds, epoch ms or ISO 8601` }) };
    }
    const row: Record<string, unknown> = {};
    // A missing cell (`NA`, `?`, ...: isMissingCell) is no reading, as an empty one always was.
    table.header.forEach((column, c) => (row[column] = isMissingCell(record[c]) ? '' : record[c]));
    row.deviceId = deviceId;
    row.ts = ts;
    rows.push(row as WideRow);
  }
  return { rows };
}

/** Windows a table with node properties; a bad config or table is one message. */
export function windowTable(table: CsvTable, windowConfig: unknown, label?: string, ignore: readonly string[] = []): { ok: true; windowed: WindowedRows } | { ok: false; error: string } {
  const config = parseWindowConfig(windowConfig);
  if (!config.ok) return { ok: false, error: `window config: ${config.error}` };
  const wide = wideRowsFromTable(table);
  if ('error' in wide) return { ok: false, error: wide.error };
  if (label !== undefined && !table.header.includes(label)) return { ok: false, error: `line 1: no label column "${label}"` };
  return { ok: true, windowed: windowRows(wide.rows, config.config, label, { ignore }) };
}

/**
 * `iot-ai train --window`: one example per labelled window; a feature the window lacks (a sensor silent in it)
 * is missing (NaN), and the trees learn where it goes. An empty `label` (`--task anomaly` without `--label`)
 * keeps every complete window, each with the label '': anomaly baselines need every value.
 */
export const windowExamples: WindowExamplesHook = ({ table, windowConfig, label, ignore }) => {
  const unlabelled = label === '';
  const result = windowTable(table, windowConfig, unlabelled ? undefined : label, ignore);
  if (!result.ok) return result;
  const { featureNames, rows } = result.windowed;
  const examples: Float64Array[] = [];
  const labels: string[] = [];
  // Each example's end and device, and the longest window: the time-ordered split keeps a window's span between
  // training and test rows, so no training window shares readings with a test window.
  const time: number[] = [];
  const device: string[] = [];
  let gap = 0;
  for (const row of rows) {
    if (row.label === undefined && !unlabelled) continue;
    // As a prediction reads the window (featureVector): nothing is filled in, a missing feature (a sensor silent
    // in it) stays NaN in the model's training rows.
    const vector = featureVector(featureNames, row.features, { allowMissing: true });
    if (!vector.ok || (vector.missing !== undefined && unlabelled)) continue;
    examples.push(vector.row);
    labels.push(unlabelled ? '' : String(row.label));
    time.push(row.end);
    device.push(row.deviceId);
    gap = Math.max(gap, row.end - row.start);
  }
  if (examples.length === 0) {
    return {
      ok: false,
      error: unlabelled
        ? 'no window has every feature: check the window size and the sensors'
        : 'no window has a label: check --label, the window size and the sensors',
    };
  }
  return { ok: true, featureNames, rows: examples, labels, time, device, gap };
};

/** Forecast examples: {@link horizonWindowExamples}'s answer, as `iot-ai train --horizon` takes them. */
export type HorizonExamples = ReturnType<ForecastExamplesHook>;

/**
 * `iot-ai train --window --horizon H` (docs/forecasting.md): the node's windows, each labelled by the `label` column
 * of its device's latest row in [end, end + H), in time order of their `end`; windows without one are left out. The
 * label column is windowed as a sensor too when WINDOW.json names it among `sensors`.
 */
export function horizonWindowExamples(input: { table: CsvTable; windowConfig: unknown; label: string; ignore: readonly string[]; horizon: number }): HorizonExamples {
  const { table, label, ignore, horizon } = input;
  const config = parseWindowConfig(input.windowConfig);
  if (!config.ok) return { ok: false, error: `window config: ${config.error}` };
  const wide = wideRowsFromTable(table);
  if ('error' in wide) return { ok: false, error: wide.error };
  if (!table.header.includes(label)) return { ok: false, error: `line 1: no label column "${label}"` };
  const windowed = windowRows(wide.rows, config.config, label, { ignore });
  const found = labelByHorizon(windowed.rows, labelRowsOf(wide.rows, label), horizon);
  // In time order of `end` (ties as found): `iot-ai train --horizon` holds out the newest windows.
  const labelled = found.labelled.slice().sort((a, b) => a.end - b.end);
  const unlabelled = found.unlabelled;
  if (labelled.length === 0) {
    return { ok: false, error: `no window has a row of "${label}" within ${horizon} ms after its end: check --label, --horizon, the window size and the sensors` };
  }
  // As a prediction reads the window (featureVector): nothing is filled in, a missing feature stays NaN; a window
  // prediction would refuse is left out, as windowExamples does.
  const examples = labelled.flatMap((window) => {
    const vector = featureVector(windowed.featureNames, window.features, { allowMissing: true });
    return vector.ok ? [{ window, row: vector.row }] : [];
  });
  return {
    ok: true,
    featureNames: windowed.featureNames,
    rows: examples.map((e) => e.row),
    labels: examples.map((e) => String(e.window.label)),
    persistence: examples.map((e) => e.window.persistence),
    dayBefore: examples.map((e) => e.window.dayBefore),
    unlabelled,
  };
}

export const WINDOW_USAGE = `Usage: iot-ai window --data READINGS.csv --window WINDOW.json --out FEATURES.csv [--label COLUMN]

Windows readings in wide form (deviceId,ts,<sensor>...) per device with the feature-window node's own code and
writes one row per window: deviceId,start,end,<sensor>.<feature>...[,label].
  --data FILE      readings CSV (ts in epoch seconds, epoch ms or ISO 8601)
  --window FILE    JSON of feature-window properties, e.g. {"window":"sliding","size":60,"slide":10,"unit":"s"}
  --out FILE       feature rows CSV to write
  --label COLUMN   also write each window's label: the label of the latest row inside it
  --ignore A,B     columns that are neither sensors nor the label (truth.* columns are always left out)
`;

export async function runWindow(argv: string[], io: CliIO): Promise<number> {
  const args = readCommandLine('window', WINDOW_USAGE, io, () => {
    const flags = parseFlags(argv, { values: ['data', 'window', 'out', 'label', 'ignore'], repeatable: ['ignore'] });
    return flags === 'help' ? flags : { data: flags.required('data'), window: flags.required('window'), out: flags.required('out'), label: flags.get('label'), ignore: flags.list('ignore') };
  });
  if (typeof args === 'number') return args;
  const fail = (message: string) => {
    io.stderr.write(`iot-ai window: ${message}\n`);
    return 1;
  };
  let text: string;
  try {
    text = await readFile(args.data, 'utf8');
  } catch (err) {
    return fail(`cannot read ${args.data}: ${(err as Error).message}`);
  }
  const windowConfig = await readPropertiesFile(args.window);
  if (!windowConfig.ok) return fail(windowConfig.error);
  const parsed = parseCsv(text);
  if (!parsed.ok) return fail(`${args.data}: ${formatCsvProblem(parsed.error)}`);
  const result = windowTable(parsed.table, windowConfig.config, args.label, args.ignore);
  if (!result.ok) return fail(`${args.data}: ${result.error}`);
  const { featureNames, rows, rejected } = result.windowed;
  const header = ['deviceId', 'start', 'end', ...featureNames, ...(args.label ? [args.label] : [])];
  const records = rows.map((row) => [row.deviceId, row.start, row.end, ...featureNames.map((name) => row.features[name]), ...(args.label ? [row.label] : [])]);
  await writeFile(args.out, formatCsv([header, ...records]));
  const dropped = Object.entries(rejected).filter(([, n]) => n > 0).map(([code, n]) => `${n} ${code}`);
  io.stdout.write(`${rows.length} windows of ${parsed.table.rows.length} rows written to ${args.out}${dropped.length ? ` (dropped: ${dropped.join(', ')})` : ''}\n`);
  return 0;
}
