/**
 * `iot-ai import FILE --out MODEL.json`: a model trained elsewhere (XGBoost's JSON model, LightGBM's text model or JSON
 * dump, ONNX tree ensembles) converted to the
 * package's own model file, and with `--check DATA.csv --expect EXPECTED.csv` proven against the source library's
 * own predictions, and with `--sketch TRAIN.csv` given the training rows' drift sketch. See docs/import.md.
 */
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { formatCsvProblem, parseCsv, type CsvTable } from '../core/model/data/csv';
import { MODEL_BOUNDS } from '../core/model/file/bounds';
import { loadModel, parseModelFile, type ModelFile } from '../core/model/file/model-file';
import { serializeModel, writeFileAtomic } from '../core/model/file/store';
import { checkPredictions, DEFAULT_TOLERANCE } from '../core/model/import/check';
import { GRAPH_SKETCH_SUFFIX, graphSketchPath, serializeGraphSketch } from '../core/model/import/graph-sketch';
import { importModel } from '../core/model/import/import-model';
import { onnxKind, planOnnxGraph, runsAsGraph } from '../core/model/import/onnx-graph';
import { sketchFromTable } from '../core/model/import/sketch-rows';
import { type CliIO, parseFlags, readCommandLine, UsageError } from './args';

export const IMPORT_USAGE = `Usage: iot-ai import FILE --out MODEL.json [options]
       iot-ai import GRAPH.onnx --sketch TRAIN.csv --features a,b,... [--out GRAPH.onnx.sketch.json]

Converts a model trained elsewhere into this package's model file (docs/import.md), exactly: the converted
model predicts what the library predicts. Read today: XGBoost's JSON model (booster.save_model("model.json"))
with objective reg:squarederror, reg:logistic, binary:logistic, multi:softprob or multi:softmax; LightGBM's
text model (booster.save_model("model.txt")) or JSON dump (json.dump(booster.dump_model(), f)) with objective
regression, regression_l1, huber, fair, quantile, mape, binary or multiclass (categorical splits included,
linear_tree refused); ONNX files holding a TreeEnsembleClassifier or TreeEnsembleRegressor (scikit-learn
forests and gradient boosting through skl2onnx, XGBoost and LightGBM through onnxmltools). A pickle (.pkl, .joblib) is never loaded.

Any other ONNX graph (a neural network) runs as it is through onnxruntime-node: name it in ml-model's File.
For its drift monitoring, the second form writes the training rows' sketch beside it, GRAPH.onnx.sketch.json,
where ml-model reads it (--features: the graph's inputs in the order of its input's columns, as ml-model's Inputs).

Options:
  --out MODEL.json        where to write the model file (required; for a graph, its sketch file)
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
  /** Required but for a graph's sketch, which goes beside the graph by default. */
  out?: string;
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
  const out = flags.get('out');
  if (out === '') throw new UsageError('--out must not be empty');
  return { file, out, features: flags.list('features'), labels: flags.list('labels'), name, version, check, expect, tolerance, ...(sketch === undefined ? {} : { sketch }) };
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
    const size = (await stat(args.file)).size;
    if (size > MODEL_BOUNDS.maxModelBytes) return fail(`${args.file} is ${size} bytes, over the ${MODEL_BOUNDS.maxModelBytes}-byte limit of a model file`);
    bytes = await readFile(args.file);
  } catch (err) {
    return fail(`cannot read ${args.file}: ${(err as Error).message}`);
  }
  const kind = onnxKind(bytes, args.file);
  if (kind === 'graph') return sketchGraph(args, bytes, io, fail);
  const imported = importModel(bytes, {
    fileName: args.file,
    ...(args.features.length > 0 ? { featureNames: args.features } : {}),
    ...(args.labels.length > 0 ? { labels: args.labels } : {}),
    ...(args.name === undefined ? {} : { name: args.name }),
    ...(args.version === undefined ? {} : { version: args.version }),
  });
  if (!imported.ok && runsAsGraph(kind, imported.error)) return sketchGraph(args, bytes, io, fail);
  if (!imported.ok) return fail(`${args.file}: ${imported.error}`);
  if (args.out === undefined) return usageError(io, '--out is required');
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
  const out = args.out;
  try {
    await writeFileAtomic(out, serializeModel(model));
  } catch (err) {
    return fail(`cannot write ${out}: ${(err as Error).message}`);
  }
  io.stdout.write(`written to ${out}\n`);
  return 0;
}

/** A command line that does not fit the file: exit 2, as for one that does not parse. */
function usageError(io: CliIO, message: string): number {
  io.stderr.write(`iot-ai import: ${message}\nRun "iot-ai import --help" for usage.\n`);
  return 2;
}

/**
 * An ONNX graph that is not a tree ensemble runs as it is (docs/import.md#any-other-onnx-model): all there is to
 * make is its training sketch, for drift monitoring, written where ml-model reads it (import/graph-sketch.ts).
 */
async function sketchGraph(args: ImportArgs, bytes: Uint8Array, io: CliIO, fail: (message: string) => number): Promise<number> {
  const inapplicable = (['check', 'labels', 'name', 'version'] as const).filter((flag) => (flag === 'labels' ? args.labels.length > 0 : args[flag] !== undefined));
  if (inapplicable.length > 0) return usageError(io, `${args.file} is an ONNX graph, which onnxruntime-node runs as it is: ${inapplicable.map((flag) => `--${flag}`).join(', ')} do not apply to it (only --sketch, --features and --out do)`);
  const runs = `${args.file} is an ONNX graph that is not a tree ensemble: it runs as it is through onnxruntime-node (name it in ml-model's File; docs/import.md#any-other-onnx-model), so there is nothing to convert`;
  if (args.sketch === undefined) return fail(`${runs}. For drift monitoring, give --sketch TRAIN.csv --features a,b,...: its training sketch is written beside it`);
  if (args.features.length === 0) return fail(`${runs}. Its sketch needs --features: the graph's inputs in the order of its input's columns, as ml-model's Inputs`);
  // The same check ml-model makes at deploy: the features fit the graph's inputs (a list, or "input: a, b; other: c").
  const plan = planOnnxGraph(bytes, { featureSpec: args.features.join(', ') });
  if (!plan.ok) return fail(`${args.file}: ${plan.error}`);
  const featureNames = plan.plan.featureNames;
  const train = await readTable(args.sketch);
  if (!train.ok) return fail(train.error);
  const sketched = sketchFromTable(featureNames, train.table);
  if (!sketched.ok) return fail(`--sketch ${args.sketch}: ${sketched.error}`);
  io.stdout.write(`${args.file}: an ONNX graph run by onnxruntime-node, ${featureNames.length} features (${featureNames.join(', ')})\n`);
  io.stdout.write(`drift sketch of ${sketched.sketch.rows} training rows from ${args.sketch}\n`);
  const out = args.out ?? graphSketchPath(args.file);
  try {
    await writeFileAtomic(out, serializeGraphSketch(sketched.sketch));
  } catch (err) {
    return fail(`cannot write ${out}: ${(err as Error).message}`);
  }
  io.stdout.write(`written to ${out}\n`);
  const wanted = path.basename(args.file) + GRAPH_SKETCH_SUFFIX;
  if (path.basename(out) !== wanted) io.stdout.write(`ml-model reads a graph's sketch from ${wanted} beside the graph: put it there under that name\n`);
  return 0;
}
