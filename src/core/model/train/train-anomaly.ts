/**
 * From unlabelled feature rows to an anomaly model file (`task: "anomaly"`): fit an isolation forest or a
 * robust per-feature baseline, set the threshold from a contamination rate (or take it as given), and — when
 * ground truth is at hand — measure detection and false alarms on held-out rows. Shared by `iot-ai train
 * --task anomaly` and the model-train node.
 */
import {
  ANOMALY_METHODS,
  AnomalyMethod,
  AnomalySettings,
  anomalyTruth,
  CALIBRATION_FRACTION,
  CALIBRATION_MIN_ROWS,
  conformalThreshold,
  contaminationOfKept,
  DEFAULT_CONTAMINATION,
  fitRobustBaseline,
  isAnomalous,
  quantile,
  robustScore,
  thresholdFromContamination,
} from '../monitor/anomaly';
import { CompiledForest } from '../forest/compiled-forest';
import type { CsvProblem, CsvTable } from '../data/csv';
import { readFeatureTable, recordFeatureNames, recordRow } from '../data/dataset';
import { IsolationForestOptions, IsolationForestTrainer, ResolvedIsolationForestOptions } from '../forest/isolation-forest';
import { DetectionMetrics, detectionMetrics, rocAuc, trainTestSplit } from './metrics';
import type { ModelFile } from '../file/model-file';
import { MODEL_FORMAT } from '../file/schema';
import { buildFeatureSketch, DEFAULT_SKETCH_BINS } from '../monitor/sketch';
import type { ProgressCallback } from '../forest/trainer';

/** The fewest rows an anomaly model is fitted from (a warm-up shorter than this says too little). */
export const ANOMALY_MIN_ROWS = 20;

export interface AnomalyData {
  featureNames: string[];
  rows: Float64Array[];
  /** Ground truth, used only to evaluate: 1 anomaly, 0 normal (see anomalyTruth). */
  truth?: Uint8Array;
}

export interface TrainAnomalyOptions {
  name: string;
  /** Default `1.0.0`. */
  version?: string;
  /** Comes from the caller's clock. */
  createdAt: Date;
  /** Default `auto`: robust-z (chooseAnomalyMethod); `isolation-forest` must be asked for. */
  method?: AnomalyMethod | 'auto';
  /**
   * The false-alarm rate accepted on later data (default 0.01): the threshold is the (1 − c) quantile of the training
   * scores, raised to the conformal threshold of the newest rows held back when higher (docs/anomaly.md).
   */
  contamination?: number;
  /** A fixed threshold in [0, 1] instead of one from `contamination`. */
  threshold?: number;
  /**
   * Share of the windows the rows come from that were left out as flagged (model-train): the threshold leaves
   * contaminationOfKept(contamination, leftOutShare) of the rows above it, so c still holds over all windows.
   */
  leftOutShare?: number;
  isolationForest?: Omit<IsolationForestOptions, 'seed'>;
  /** Default 1: the forest and the hold-out split. */
  seed?: number;
  /**
   * With ground truth: share of rows held out to measure detection (default 0.2; 0 measures on the training
   * rows). Without ground truth nothing is held out.
   */
  testFraction?: number;
  /** `sha256:<hex>` of the training data. */
  dataHash?: string;
  /** Quantile bins per feature in the drift sketch (default 10). */
  sketchBins?: number;
  onProgress?: ProgressCallback;
  /** Awaited between trees, so a Node-RED runtime stays responsive. */
  pause?: () => Promise<void>;
}

/** Score quantiles of the training rows. */
export interface ScoreSummary {
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export type AnomalyEvaluation = 'holdout' | 'training' | 'none';

/**
 * `held-out`: the newest `rows` training rows (CALIBRATION_FRACTION of them) were scored by a model learnt from the
 * older ones, and the threshold is the larger of their conformal threshold and the old rule's (the (1 − c) quantile
 * of the final model's own training scores);
 * `training`: too few rows to hold back (fewer than CALIBRATION_MIN_ROWS, or (m + 1)·c < 1), the (1 − c) quantile of
 * the `rows` training scores alone, as before.
 */
export interface AnomalyCalibration {
  method: 'held-out' | 'training';
  rows: number;
  /** held-out: the held-back rows' conformal threshold was above the old rule's, and was taken. */
  raised?: boolean;
  /** With leftOutShare: the share of the rows asked above the threshold instead of the contamination. */
  keptContamination?: number;
}

export type AnomalyMetrics = {
  task: 'anomaly';
  method: AnomalyMethod;
  /** `holdout`: measured on held-out rows; `training`: on the training rows; `none`: no ground truth. */
  evaluation: AnomalyEvaluation;
  threshold: number;
  contamination?: number;
  /** How the threshold was set from the contamination (absent with a fixed threshold). */
  calibration?: AnomalyCalibration;
  testFraction?: number;
  trainRows: number;
  /** Share of the training rows scoring above the threshold. */
  flaggedShare: number;
  trainScores: ScoreSummary;
  /** With ground truth: area under the ROC curve of the evaluated rows' scores (absent if one class is missing). */
  rocAuc?: number;
} & (DetectionMetrics | { rows: 0 });

export interface TrainAnomalyResult {
  model: ModelFile;
  metrics: AnomalyMetrics;
  /** For reports: the evaluated rows' scores and truth, or the training rows' scores (truth null). */
  scores: { values: Float64Array; truth: Uint8Array | null };
}

/**
 * What `auto` picks: robust-z, whatever the number of rows. Measured on per-window sensor faults (docs/anomaly.md:
 * the synthetic room data and the simulator's injected spikes, stuck sensors, drifts and tachycardia), robust-z
 * finds two to eight times as many faulty windows as the isolation forest at the same contamination, with as few
 * false alarms and a similar ROC AUC. The isolation forest stays available (`method: 'isolation-forest'`): it is
 * the one that sees anomalies in how features go together (contextual anomalies).
 */
export function chooseAnomalyMethod(_trainRows: number): AnomalyMethod {
  return 'robust-z';
}

export async function trainAnomalyModel(data: AnomalyData, options: TrainAnomalyOptions): Promise<TrainAnomalyResult> {
  const { featureNames, rows, truth } = data;
  if (rows.length < 2) throw new RangeError(`an anomaly model needs at least 2 rows, got ${rows.length}`);
  if (truth !== undefined && truth.length !== rows.length) throw new RangeError(`${rows.length} rows but ${truth.length} truth values`);
  const seed = options.seed ?? 1;
  const contamination = options.threshold === undefined ? (options.contamination ?? DEFAULT_CONTAMINATION) : undefined;
  if (options.threshold !== undefined && !(options.threshold >= 0 && options.threshold <= 1)) {
    throw new RangeError(`threshold must be in [0, 1], got ${options.threshold}`);
  }
  if (contamination !== undefined && !(contamination >= 0 && contamination < 0.5)) {
    throw new RangeError(`contamination must be in [0, 0.5), got ${contamination}`);
  }

  const testFraction = truth === undefined ? 0 : (options.testFraction ?? 0.2);
  let trainIndices: Int32Array | null = null;
  let testIndices: Int32Array | null = null;
  if (testFraction > 0) {
    const split = trainTestSplit(rows.length, testFraction, { seed, strata: truth });
    if (split.test.length > 0 && split.train.length >= 2) {
      trainIndices = split.train;
      testIndices = split.test;
    }
  }
  const trainRows = trainIndices === null ? rows : Array.from(trainIndices, (i) => rows[i]);
  const method = options.method === undefined || options.method === 'auto' ? chooseAnomalyMethod(trainRows.length) : options.method;
  if (!ANOMALY_METHODS.includes(method)) throw new RangeError(`method must be auto, ${ANOMALY_METHODS.join(' or ')}, got ${String(method)}`);

  const fitted = await fitScorer(trainRows, method, options, seed, true);
  const { score, forest, baseline, forestParams } = fitted;

  const trainScores = Float64Array.from(trainRows, score);
  let threshold: number;
  let calibration: AnomalyCalibration | undefined;
  if (options.threshold !== undefined) threshold = options.threshold;
  else {
    // Time order (the hold-out split shuffles): the newest rows are the ones held back.
    const ordered = trainIndices === null ? trainRows : Array.from(Int32Array.from(trainIndices).sort(), (i) => rows[i]);
    const held = Math.floor(ordered.length * CALIBRATION_FRACTION);
    const c = contaminationOfKept(contamination as number, options.leftOutShare ?? 0);
    // The old rule, kept as the floor: the (1 − c) quantile of the model's own training scores.
    const inSample = thresholdFromContamination(trainScores, c);
    // Held back only when they can place the rate: (m + 1)·c ≥ 1, else the conformal rank is past the last score.
    if (held >= CALIBRATION_MIN_ROWS && (held + 1) * c >= 1 && ordered.length - held >= 2) {
      const early = await fitScorer(ordered.slice(0, ordered.length - held), method, options, seed, false);
      const heldScores = Float64Array.from(ordered.slice(ordered.length - held), early.score);
      // Raised to the held-back rows' conformal threshold when they score higher, as rows after a drift do.
      const conformal = conformalThreshold(heldScores, c);
      threshold = Math.max(conformal, inSample);
      calibration = { method: 'held-out', rows: held, raised: conformal > inSample, ...(c !== contamination ? { keptContamination: c } : {}) };
    } else {
      threshold = inSample;
      calibration = { method: 'training', rows: trainScores.length, ...(c !== contamination ? { keptContamination: c } : {}) };
    }
  }
  let flagged = 0;
  for (const s of trainScores) if (isAnomalous(s, threshold)) flagged++;
  const sorted = Float64Array.from(trainScores).sort();

  let evaluation: AnomalyEvaluation = 'none';
  let detection: DetectionMetrics | { rows: 0 } = { rows: 0 };
  let auc: number | null = null;
  let reported: TrainAnomalyResult['scores'] = { values: trainScores, truth: null };
  if (truth !== undefined) {
    const evaluated = testIndices ?? Int32Array.from({ length: rows.length }, (_, i) => i);
    evaluation = testIndices === null ? 'training' : 'holdout';
    const values = testIndices === null ? trainScores : Float64Array.from(evaluated, (i) => score(rows[i]));
    const evaluatedTruth = Uint8Array.from(evaluated, (i) => truth[i]);
    detection = detectionMetrics(evaluatedTruth, Uint8Array.from(values, (s) => (isAnomalous(s, threshold) ? 1 : 0)));
    auc = rocAuc(evaluatedTruth, values);
    reported = { values, truth: evaluatedTruth };
  }

  const metrics: AnomalyMetrics = {
    task: 'anomaly',
    method,
    evaluation,
    ...detection,
    threshold,
    ...(contamination !== undefined ? { contamination } : {}),
    ...(calibration !== undefined ? { calibration } : {}),
    ...(evaluation === 'holdout' ? { testFraction } : {}),
    trainRows: trainRows.length,
    flaggedShare: flagged / trainScores.length,
    trainScores: { min: sorted[0], p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] },
    ...(auc !== null ? { rocAuc: auc } : {}),
  };
  const anomaly: AnomalySettings = {
    method,
    threshold,
    ...(contamination !== undefined ? { contamination } : {}),
    ...(baseline !== undefined ? { baseline } : {}),
  };
  const model: ModelFile = {
    format: MODEL_FORMAT,
    task: 'anomaly',
    name: options.name,
    version: options.version ?? '1.0.0',
    createdAt: options.createdAt.toISOString(),
    featureNames: featureNames.slice(),
    metrics: metrics as unknown as Record<string, unknown>,
    params: {
      method,
      ...(forestParams ?? {}),
      ...(contamination !== undefined ? { contamination } : { threshold }),
      seed,
      ...(evaluation === 'holdout' ? { testFraction } : {}),
    },
    ...(options.dataHash !== undefined ? { dataHash: options.dataHash } : {}),
    anomaly,
    sketch: buildFeatureSketch(featureNames, rows, options.sketchBins ?? DEFAULT_SKETCH_BINS),
    ...(forest !== undefined ? { forest } : {}),
  };
  return { model, metrics, scores: reported };
}

interface FittedScorer {
  score: (row: Float64Array) => number;
  forest?: ModelFile['forest'];
  baseline?: AnomalySettings['baseline'];
  forestParams: ResolvedIsolationForestOptions | null;
}

/** Learns `method` from `rows`; `report` says whether its trees count in the progress the caller sees. */
async function fitScorer(rows: Float64Array[], method: AnomalyMethod, options: TrainAnomalyOptions, seed: number, report: boolean): Promise<FittedScorer> {
  if (method === 'isolation-forest') {
    const trainer = new IsolationForestTrainer(rows, { ...options.isolationForest, seed });
    while (!trainer.done) {
      trainer.step();
      if (report) options.onProgress?.(trainer.treesDone, trainer.treesTotal);
      if (options.pause !== undefined) await options.pause();
    }
    const trained = trainer.result();
    const compiled = new CompiledForest(trained.forest);
    return { score: (row) => compiled.anomalyScore(row), forest: trained.forest, forestParams: trained.params };
  }
  const baseline = fitRobustBaseline(rows);
  return { score: (row) => robustScore(row, baseline), baseline, forestParams: null };
}

export type AnomalyDataResult = { ok: true; data: AnomalyData } | { ok: false; error: CsvProblem | { message: string } };

/**
 * A CSV of one feature row per line (the same feature columns as examplesFromTable). A `label` column, if
 * named, is ground truth for evaluation only (anomalyTruth: 0/false/normal/empty are normal).
 */
export function anomalyDataFromTable(table: CsvTable, options: { label?: string; ignore?: readonly string[] } = {}): AnomalyDataResult {
  const truth: number[] = [];
  const read = readFeatureTable(table, options.label, options.ignore ?? [], (_, record, column) => {
    truth.push(anomalyTruth(record[column]));
    return null;
  });
  if (!read.ok) return read;
  return { ok: true, data: { featureNames: read.featureNames, rows: read.rows, ...(options.label !== undefined ? { truth: Uint8Array.from(truth) } : {}) } };
}

/** One feature message as model-train collects it; the label, if any, is ground truth for evaluation only. */
export interface AnomalyRecord {
  features: Record<string, unknown>;
  label?: unknown;
}

/**
 * Rows from collected feature messages. Feature names are `featureNames` when given, else every name seen,
 * sorted. A record missing a feature or holding a non-number is refused (never filled in). Truth is kept only
 * when every record has a label.
 */
export function anomalyDataFromRecords(records: readonly AnomalyRecord[], options: { featureNames?: readonly string[] } = {}): AnomalyDataResult {
  if (records.length === 0) return { ok: false, error: { message: 'no examples' } };
  const names = recordFeatureNames(records, options.featureNames);
  if (names.length === 0) return { ok: false, error: { message: 'the examples have no features' } };
  const rows: Float64Array[] = [];
  for (let r = 0; r < records.length; r++) {
    const row = recordRow(names, records[r].features, r);
    if (!row.ok) return row;
    rows.push(row.row);
  }
  const labelled = records.every((record) => record.label !== undefined && record.label !== null);
  return { ok: true, data: { featureNames: names, rows, ...(labelled ? { truth: Uint8Array.from(records, (record) => anomalyTruth(record.label)) } : {}) } };
}

/**
 * The model-train path: fit an anomaly model from collected feature messages once the warm-up is over
 * (`minRows`, default ANOMALY_MIN_ROWS). Never throws.
 */
export async function fitAnomalyModel(
  records: readonly AnomalyRecord[],
  options: TrainAnomalyOptions & { featureNames?: readonly string[]; minRows?: number },
): Promise<{ ok: true; result: TrainAnomalyResult } | { ok: false; error: string }> {
  const minRows = options.minRows ?? ANOMALY_MIN_ROWS;
  if (records.length < minRows) return { ok: false, error: `warming up: ${records.length} of ${minRows} examples collected` };
  const data = anomalyDataFromRecords(records, { featureNames: options.featureNames });
  if (!data.ok) return { ok: false, error: data.error.message };
  try {
    return { ok: true, result: await trainAnomalyModel(data.data, options) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
