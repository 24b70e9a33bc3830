/**
 * `iot-ai import FILE --out MODEL.json`: a model trained elsewhere (XGBoost's JSON model, LightGBM's text model or JSON
 * dump, ONNX tree ensembles) converted to the
 * package's own model file, and with `--check DATA.csv --expect EXPECTED.csv` proven against the source library's
 * own predictions, and with `--sketch TRAIN.csv` given the training rows' drift sketch. See docs/import.md.
 */
import { readFile } from 'node:fs/promises';
import { formatCsvProblem, parseCsv, type CsvTable } from '../core/model/data/csv';
import { loadModel, parseModelFile, type ModelFile } from '../core/model/file/model-file';
import { serializeModel, writeFileAtomic } from '../core/model/file/store';
import { checkPredictions, DEFAULT_TOLERANCE } from '../core/model/import/check';
import { importModel } from '../core/model/import/import-model';
import { sketchFromTable } from '../core/model/import/sketch-rows';
import { type CliIO, parseFlags, readCommandLine, UsageError } from './args';

export const IMPORT_USAGE = `Usage: iot-ai import FILE --out MODEL.json [options]

Converts a model trained elsewhere into this package's model file (docs/import.md), exactly: the converted
model predicts what the library predicts. Read today: XGBoost's JSON model (booster.save_model("model.json"))
with objective reg:squarederror, reg:logistic, binary:logistic, multi:softprob or multi:softmax; LightGBM's
text model (booster.save_model("model.txt")) or JSON dump (json.dump(booster.dump_model(), f)) with objective
regression, regression_l1, huber, fair, quantile, mape, binary or multiclass (categorical splits included,
linear_tree refused); ONNX files holding a TreeEnsembleClassifier or TreeEnsembleRegressor (scikit-learn
forests and gradient boosting through skl2onnx, XGBoost and LightGBM through onnxmltools). A pickle (.pkl, .joblib) is never loaded.

Options:
  --out MODEL.json        where to write the model file (required)
  --features a,b,...      the model's inputs in its feature order (required when the file names none)
  --labels a,b,...        classification: the label of class 0, 1, ... (default: 0, 1, ...)
  --name N                the model's name (default: FILE's name without its extension)
  --version V             the model's version (default: 1)
  --check DATA.csv        rows to predict (a header naming the features; an empty cell is missing) ...
  --expect EXPECTED.csv   ... and the library's predictions of them, row for row: regression a "value"
                          column; classification a "label" column and/or one probability column per label
  --tolerance R           largest relative difference --check accepts (default ${DEFAULT_TOLERANCE})
  --sketch TRAIN.csv      the model's training rows (a header naming the features; other columns ignored):
                          their distribution goes into the model, so model-predict can watch for drift

Exit codes: 0 converted (and checked), 1 the file cannot be converted or the check found a difference,
2 a bad command line.
`;

interface ImportArgs {
  file: string;
  out: string;
  features: string[];
  labels: string[];
  name?: string;
  version?: string;
  check?: string;
  expect?: string;
  tolerance: number;
  sketch?: string;
}

function parseImportArgs(argv: string[]): ImportArgs | 'help' {
  const file = argv.length > 0 && !argv[0].startsWith('-') ? argv[0] : undefined;
  const flags = parseFlags(file === undefined ? argv : argv.slice(1), {
    values: ['out', 'features', 'labels', 'name', 'version', 'check', 'expect', 'tolerance', 'sketch'],
    repeatable: ['features', 'labels'],
  });
  if (flags === 'help') return flags;
  if (file === undefined) throw new UsageError('FILE (the model to import) is required, before the options');
  const check = flags.get('check');
  const expect = flags.get('expect');
  if ((check === undefined) !== (expect === undefined)) throw new UsageError('--check and --expect go together');
  const toleranceText = flags.get('tolerance');
  const tolerance = toleranceText === undefined ? DEFAULT_TOLERANCE : Number(toleranceText);
  if (!(Number.isFinite(tolerance) && tolerance >= 0)) throw new UsageError(`--tolerance must be a number >= 0, got ${JSON.stringify(toleranceText)}`);
  const name = flags.get('name');
  const version = flags.get('version');
  if (name === '' || version === '') throw new UsageError(`--${name === '' ? 'name' : 'version'} must not be empty`);
  const sketch = flags.get('sketch');
  return { file, out: flags.required('out'), features: flags.list('features'), labels: flags.list('labels'), name, version, check, expect, tolerance, ...(sketch === undefined ? {} : { sketch }) };
}

async function readTable(file: string): Promise<{ ok: true; table: CsvTable } | { ok: false; error: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, error: `cannot read ${file}: ${(err as Error).message}` };
  }
  const parsed = parseCsv(text);
  return parsed.ok ? { ok: true, table: parsed.table } : { ok: false, error: `${file}: ${formatCsvProblem(parsed.error)}` };
}

function describe(model: ModelFile): string {
  const source = model.source;
  const producer = typeof source?.producer === 'string' ? ` (${source.producer})` : '';
  const from = source === undefined ? 'an iot-ai model file' : `${source.library}${source.libraryVersion ? ` ${source.libraryVersion}` : ''}${producer}${source.objective ? ` ${source.objective}` : ''}`;
  // The file's own tree count (an ONNX tree that scores several classes becomes one tree of ours per class).
  const count = typeof source?.trees === 'number' ? source.trees : model.forest !== undefined && 'trees' in model.forest ? model.forest.trees.length : null;
  const trees = count === null ? '' : `${count} trees, `;
  const labels = model.labels === undefined ? '' : `, labels ${model.labels.join(', ')}`;
  return `${from}: ${model.task}, ${trees}${model.featureNames.length} features (${model.featureNames.join(', ')})${labels}`;
}

export async function runImport(argv: string[], io: CliIO): Promise<number> {
  const args = readCommandLine('import', IMPORT_USAGE, io, () => parseImportArgs(argv));
  if (typeof args === 'number') return args;
  const fail = (message: string): number => {
    io.stderr.write(`iot-ai import: ${message}\n`);
    return 1;
  };
  let bytes: Uint8Array;
  try {
    bytes = await readFile(args.file);
  } catch (err) {
    return fail(`cannot read ${args.file}: ${(err as Error).message}`);
  }
  const imported = importModel(bytes, {
    fileName: args.file,
    ...(args.features.length > 0 ? { featureNames: args.features } : {}),
    ...(args.labels.length > 0 ? { labels: args.labels } : {}),
    ...(args.name === undefined ? {} : { name: args.name }),
    ...(args.version === undefined ? {} : { version: args.version }),
  });
  if (!imported.ok) return fail(`${args.file}: ${imported.error}`);
  let model = imported.model;
  if (args.sketch !== undefined) {
    const train = await readTable(args.sketch);
    if (!train.ok) return fail(train.error);
    const sketched = sketchFromTable(model.featureNames, train.table);
    if (!sketched.ok) return fail(`--sketch ${args.sketch}: ${sketched.error}`);
    const parsed = parseModelFile({ ...model, sketch: sketched.sketch });
    if (!parsed.ok) return fail(`--sketch ${args.sketch}: ${parsed.error}`);
    model = parsed.model;
    io.stdout.write(`drift sketch of ${sketched.sketch.rows} training rows from ${args.sketch}\n`);
  }
  io.stdout.write(`${args.file}: ${describe(model)}\n`);
  let checkFailed = false;
  if (args.check !== undefined && args.expect !== undefined) {
    const loaded = loadModel(model);
    if (!loaded.ok) return fail(loaded.error);
    const data = await readTable(args.check);
    if (!data.ok) return fail(data.error);
    const expected = await readTable(args.expect);
    if (!expected.ok) return fail(expected.error);
    const checked = checkPredictions(loaded.model, data.table, expected.table, args.tolerance);
    if (!checked.ok) return fail(`--check: ${checked.error}`);
    const { report } = checked;
    const largest = report.largest;
    const lines = [`checked ${report.rows} rows against ${args.expect}:`];
    if (largest !== null) {
      lines.push(`  largest difference ${largest.absolute.toPrecision(3)} (relative ${largest.relative.toPrecision(3)}) at row ${largest.row}, column ${JSON.stringify(largest.column)}; ${report.beyond} of ${report.compared} values beyond ${args.tolerance.toExponential()} relative`);
    }
    if (report.labelsCompared > 0) {
      lines.push(report.labelMismatches.length === 0 ? `  labels identical on all ${report.labelsCompared} rows` : `  ${report.labelMismatches.length} of ${report.labelsCompared} labels differ (first: row ${report.labelMismatches[0].row}, ours ${report.labelMismatches[0].ours}, theirs ${report.labelMismatches[0].theirs})`);
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    checkFailed = report.beyond > 0 || report.labelMismatches.length > 0;
  }
  if (checkFailed) return fail(`the converted model does not match ${args.expect}: not written to ${args.out}`);
  try {
    await writeFileAtomic(args.out, serializeModel(model));
  } catch (err) {
    return fail(`cannot write ${args.out}: ${(err as Error).message}`);
  }
  io.stdout.write(`written to ${args.out}\n`);
  return 0;
}
