/**
 * The human report written beside a trained model (`MODEL.report.html`): one self-contained HTML page with the
 * metrics, an SVG confusion matrix (classification), predicted-vs-actual scatter (regression) or score
 * histogram with the threshold (anomaly), and an SVG bar chart of feature importances. No scripts, no external
 * resources.
 */
import type { ModelFile } from '../core/model/file/model-file';
import type { AnomalyMetrics, TrainAnomalyResult } from '../core/model/train/train-anomaly';
import { leakageWarning, type ModelMetrics } from '../core/model/train/train-model';
import type { TuneResult } from '../core/model/train/tune';
import type { ReferenceComparison } from '../core/model/train/metrics';

export interface TrainReportInput {
  model: ModelFile;
  metrics: ModelMetrics | AnomalyMetrics;
  evaluated: { truth: Float64Array; predicted: Float64Array } | null;
  /** Anomaly models: the scores to draw (and their truth, when known). */
  anomalyScores?: TrainAnomalyResult['scores'];
  /** Shown as the data source. */
  dataFile: string;
  /**
   * Global importance from SHAP: each feature's mean |contribution| over `rows` rows, the evaluated ones (held-out
   * or out-of-fold) or, when none were held out, training rows.
   */
  shap?: { importances: Record<string, number>; rows: number; of: 'evaluated' | 'training' };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const number = (value: number, digits = 4): string => (Number.isFinite(value) ? value.toFixed(digits) : String(value));

export function renderTrainReport(input: TrainReportInput): string {
  const { model, metrics } = input;
  const sections: string[] = [];
  sections.push(`<h1>${escapeHtml(model.name)} <small>v${escapeHtml(model.version)}</small></h1>`);
  sections.push(
    table(
      ['', ''],
      [
        ['Task', model.task],
        ['Created', model.createdAt],
        ['Data', input.dataFile],
        ['Data hash', model.dataHash ?? '–'],
        ['Features', String(model.featureNames.length)],
        ...(model.labels ? [['Classes', model.labels.map(String).join(', ')]] : []),
        ...(model.anomaly ? [['Method', model.anomaly.method]] : []),
        ...(model.params?.model === 'boosting'
          ? [['Model', `gradient boosting, ${boostingText(model.params)}`]]
          : model.anomaly?.method !== 'robust-z' ? [['Trees', String(model.params?.nTrees ?? '–')]] : []),
        ['Training rows', String(metrics.trainRows)],
        ['Evaluation', describeEvaluation(metrics)],
      ],
    ),
  );
  sections.push('<h2>Metrics</h2>');
  sections.push(metricsTable(metrics));
  if (metrics.task !== 'anomaly' && metrics.tuning !== undefined) sections.push(tuningSection(metrics.tuning));
  const leakage = metrics.task === 'anomaly' ? undefined : leakageWarning(metrics);
  if (leakage !== undefined) sections.push(`<p class="warning"><strong>Warning:</strong> ${escapeHtml(leakage)}.</p>`);
  if (metrics.task !== 'anomaly' && metrics.horizon !== undefined) sections.push(forecastSection(metrics));
  if (metrics.task === 'classification' && 'confusion' in metrics) {
    sections.push('<h2>Confusion matrix</h2><p class="note">Rows: actual class. Columns: predicted class. Shade: share of the actual class.</p>');
    sections.push(confusionSvg(metrics.confusion, (model.labels ?? []).map(String)));
  }
  if (metrics.task === 'regression' && input.evaluated !== null && input.evaluated.truth.length > 0) {
    sections.push('<h2>Predicted vs actual</h2>');
    sections.push(scatterSvg(input.evaluated.truth, input.evaluated.predicted));
  }
  if (metrics.task === 'anomaly' && input.anomalyScores !== undefined && input.anomalyScores.values.length > 0) {
    const { values, truth } = input.anomalyScores;
    const of = truth === null ? 'training rows' : metrics.evaluation === 'holdout' ? 'held-out rows' : 'training rows';
    sections.push(`<h2>Anomaly scores</h2><p class="note">Scores of the ${of}; a score right of the red line is an anomaly.${truth === null ? '' : ' Blue: normal, orange: known anomalies.'}</p>`);
    sections.push(scoreHistogramSvg(values, truth, metrics.threshold));
  }
  if (model.importances !== undefined) {
    sections.push('<h2>Feature importance</h2><p class="note">Mean decrease in impurity, normalised to sum to 1.</p>');
    sections.push(importanceSvg(model.importances));
  }
  if (input.shap !== undefined) sections.push(shapSection(input.shap, model.importances, model.task));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(model.name)} — training report</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 960px; padding: 0 1rem; color: #1f2937; }
h1 small { color: #6b7280; font-weight: normal; font-size: 60%; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
td, th { padding: 0.25rem 0.75rem; border-bottom: 1px solid #e5e7eb; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #6b7280; margin: 0; }
.warning { background: #fff7e6; border-left: 4px solid #d97706; padding: 0.5em 0.8em; }
svg text { font: 12px system-ui, sans-serif; fill: #1f2937; }
</style>
</head>
<body>
${sections.join('\n')}
</body>
</html>
`;
}

function describeEvaluation(metrics: ModelMetrics | AnomalyMetrics): string {
  if (metrics.task === 'anomaly') {
    if (metrics.evaluation === 'none') return 'no ground truth: threshold from the training scores only';
    const where = metrics.evaluation === 'holdout' ? `hold-out, ${metrics.rows} rows (${Math.round((metrics.testFraction ?? 0) * 100)}%)` : `training rows, ${metrics.rows}`;
    return `${where} against ground truth`;
  }
  const how = metrics.split === 'time'
    ? metrics.evaluation === 'cross-validation' ? '; contiguous time blocks per device' : "; the newest of each device's time line"
    : metrics.split === 'random' ? (metrics.evaluation === 'cross-validation' ? '; random folds' : '; a random share') : '';
  const gap = metrics.split === 'time' && (metrics.gap ?? 0) > 0 ? `, ${metrics.gapRows} rows within ${metrics.gap} ms of the cut left out` : '';
  const refit = metrics.refit === true ? `; the saved model was then trained again on all ${metrics.trainRows} rows` : '';
  if (metrics.evaluation === 'holdout') return `hold-out, ${metrics.split === 'newest' ? 'the newest ' : ''}${metrics.rows} rows (${Math.round((metrics.testFraction ?? 0) * 100)}%${how}${gap})${refit}`;
  if (metrics.evaluation === 'cross-validation') return `${metrics.folds}-fold cross-validation, ${metrics.rows} rows${how === '' ? '' : ` (${how.slice(2)}${gap})`}`;
  return 'out-of-bag only';
}

function table(header: string[], rows: string[][], numericFrom = Infinity): string {
  const head = header.some((h) => h !== '')
    ? `<tr>${header.map((h, i) => `<th${i >= numericFrom ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('')}</tr>`
    : '';
  const body = rows
    .map((row) => `<tr>${row.map((cell, i) => `<td${i >= numericFrom ? ' class="num"' : ''}>${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table>${head}\n${body}</table>`;
}

function metricsTable(metrics: ModelMetrics | AnomalyMetrics): string {
  const rows: string[][] = [];
  if (metrics.task === 'anomaly') {
    rows.push(['Threshold', number(metrics.threshold)]);
    if (metrics.contamination !== undefined) rows.push(['Contamination', number(metrics.contamination, 3)]);
    const calibration = metrics.calibration;
    if (calibration !== undefined) {
      // How the threshold was set (issue #25): from the newest rows held back, or the training rows alone.
      const how = calibration.method === 'held-out' ? `the newest ${calibration.rows} training rows held back${calibration.raised ? ' (raised the threshold)' : ''}` : 'the training rows (too few to hold back)';
      rows.push(['Threshold set on', how]);
    }
    rows.push(['Training rows above the threshold', number(metrics.flaggedShare)]);
    if ('detectionRate' in metrics) {
      rows.push(
        ['Detection rate (recall)', `${number(metrics.detectionRate)} (${metrics.truePositives} of ${metrics.anomalies})`],
        ['False-alarm rate', `${number(metrics.falseAlarmRate)} (${metrics.falsePositives} of ${metrics.normals})`],
        ['Precision', number(metrics.precision)],
      );
    }
    if (metrics.rocAuc !== undefined) rows.push(['ROC AUC', number(metrics.rocAuc)]);
    return table(['', ''], rows, 1);
  }
  if (metrics.task === 'classification' && 'accuracy' in metrics) {
    rows.push(['Accuracy', number(metrics.accuracy)], ['Macro F1', number(metrics.macroF1)]);
  }
  if (metrics.task === 'regression' && 'mae' in metrics) {
    rows.push(['MAE', number(metrics.mae)], ['RMSE', number(metrics.rmse)], ['R²', number(metrics.r2)]);
  }
  if (metrics.foldScores !== undefined) rows.push(['Per fold', metrics.foldScores.map((s) => number(s, 3)).join(', ')]);
  if (metrics.oob?.accuracy !== undefined) rows.push(['Out-of-bag accuracy', `${number(metrics.oob.accuracy)} (${metrics.oob.rows} rows)`]);
  if (metrics.oob?.r2 !== undefined) rows.push(['Out-of-bag R²', `${number(metrics.oob.r2)} (${metrics.oob.rows} rows)`]);
  let html = table(['', ''], rows, 1);
  if (metrics.task === 'classification' && 'perClass' in metrics) {
    html += table(
      ['Class', 'Precision', 'Recall', 'F1', 'Support'],
      metrics.perClass.map((c) => [c.label, number(c.precision), number(c.recall), number(c.f1), String(c.support)]),
      1,
    );
  }
  return html;
}

/** The interval's coverage in a line (stdout and the report): calibrated or not, on which rows. */
export function intervalLine(metrics: Pick<ModelMetrics, 'intervalCoverage' | 'interval'>): string | undefined {
  const coverage = metrics.intervalCoverage;
  if (coverage === undefined) return undefined;
  const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;
  const interval = metrics.interval;
  if (interval?.method === 'cqr') {
    return `interval [p10, p90] calibrated (split-conformal, margin ${(interval.margin ?? 0).toFixed(4)} from the older ${interval.calibrationRows} held-out windows) covers ${percent(coverage)} of the newer ${interval.coverageRows} (aim ${percent(interval.nominal)}; uncalibrated ${percent(interval.uncalibratedCoverage)})`;
  }
  return `interval [p10, p90] of the trees covers ${percent(coverage)} of the held-out values (aim 80.0%; too few held-out windows to calibrate it)`;
}

/** A forecast against persistence and 24 hours earlier, each on the held-out windows where it exists. */
function forecastSection(metrics: ModelMetrics): string {
  const hours = (metrics.horizon as number) / 3_600_000;
  const head = `<h2>Forecast</h2><p class="note">Horizon ${metrics.horizon} ms (${number(hours * 60, 1)} min): each window is labelled by the label H after its end. A skill score above 0 beats the reference, 1 is perfect, below 0 is worse.</p>`;
  const skill = metrics.skill;
  if (skill === undefined) return `${head}<p>No rows were held out: the forecast was not compared with persistence.</p>`;
  const regression = skill.task === 'regression';
  const measure = regression ? 'MAE' : 'Accuracy';
  const row = (name: string, comparison: ReferenceComparison | undefined): string[] =>
    comparison === undefined
      ? [name, '0', '–', '–', 'no reference value']
      : [
          name,
          String(comparison.rows),
          number((regression ? comparison.mae : comparison.accuracy) as number),
          number((regression ? comparison.modelMae : comparison.modelAccuracy) as number),
          comparison.skill === null ? 'none (the reference is perfect)' : number(comparison.skill),
        ];
  const rows = [
    ['Model', String(skill.rows), number((regression ? skill.mae : skill.accuracy) as number), number((regression ? skill.mae : skill.accuracy) as number), '–'],
    row('Persistence (the last value before the window ended)', skill.persistence),
    row('24 hours earlier', skill.dayBefore),
  ];
  let html = head + table(['Forecast', 'Windows', measure, `Model ${measure} on them`, 'Skill score'], rows, 1);
  const interval = intervalLine(metrics);
  if (interval !== undefined) html += `<p>${escapeHtml(interval.charAt(0).toUpperCase() + interval.slice(1))}.</p>`;
  if (metrics.changeFrom !== undefined) html += `<p>The forest learnt the change from ${escapeHtml(metrics.changeFrom)}: each forecast is its value + the forest's output.</p>`;
  return html;
}

/** Global importance from SHAP beside the impurity importance, largest SHAP first. */
function shapSection(shap: NonNullable<TrainReportInput['shap']>, impurity: Record<string, number> | undefined, task: string): string {
  const unit = task === 'classification' ? 'share of the predicted class\'s votes' : 'units of the label';
  const of = shap.of === 'evaluated' ? `${shap.rows} evaluated rows (held-out or out-of-fold)` : `${shap.rows} training rows (none were held out)`;
  const entries = Object.entries(shap.importances).sort((a, b) => b[1] - a[1]);
  const note = `<h2>Feature importance from SHAP</h2><p class="note">Mean |contribution| of each feature to the predictions of ${of}, in ${unit} (exact TreeSHAP, docs/explanations.md). Unlike the impurity importance it is measured on the rows, not on the training splits.</p>`;
  return (
    note +
    table(['Feature', 'Mean |SHAP|', 'Impurity importance'], entries.map(([name, value]) => [name, number(value), impurity?.[name] === undefined ? '–' : number(impurity[name])]), 1) +
    importanceSvg(shap.importances, 'feature importances from SHAP')
  );
}

function confusionSvg(confusion: number[][], labels: string[]): string {
  const n = labels.length;
  const cell = Math.max(22, Math.min(56, Math.floor(560 / Math.max(n, 1))));
  const margin = 130;
  const size = margin + n * cell + 10;
  const parts: string[] = [];
  for (let actual = 0; actual < n; actual++) {
    const rowTotal = confusion[actual].reduce((a, b) => a + b, 0);
    parts.push(
      `<text x="${margin - 8}" y="${margin + actual * cell + cell / 2 + 4}" text-anchor="end">${escapeHtml(shorten(labels[actual]))}</text>`,
    );
    for (let predicted = 0; predicted < n; predicted++) {
      const count = confusion[actual][predicted];
      const share = rowTotal === 0 ? 0 : count / rowTotal;
      const x = margin + predicted * cell;
      const y = margin + actual * cell;
      const tint = actual === predicted ? '37,99,235' : '220,38,38';
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="rgba(${tint},${(0.08 + 0.85 * share).toFixed(3)})"><title>actual ${escapeHtml(labels[actual])}, predicted ${escapeHtml(labels[predicted])}: ${count}</title></rect>`,
        `<text x="${x + (cell - 2) / 2}" y="${y + cell / 2 + 3}" text-anchor="middle">${count}</text>`,
      );
    }
  }
  for (let predicted = 0; predicted < n; predicted++) {
    const x = margin + predicted * cell + cell / 2;
    parts.push(`<text transform="translate(${x},${margin - 8}) rotate(-45)">${escapeHtml(shorten(labels[predicted]))}</text>`);
  }
  parts.push(`<text x="${margin}" y="14" font-weight="bold">predicted →</text>`);
  parts.push(`<text transform="translate(14,${margin}) rotate(90)" font-weight="bold">actual →</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="confusion matrix">${parts.join('')}</svg>`;
}

function importanceSvg(importances: Record<string, number>, label = 'feature importances'): string {
  const entries = Object.entries(importances).sort((a, b) => b[1] - a[1]);
  const labelWidth = 200;
  const barWidth = 480;
  const rowHeight = 22;
  const height = entries.length * rowHeight + 10;
  const largest = Math.max(...entries.map(([, v]) => v), 1e-12);
  const parts = entries.map(([name, value], i) => {
    const y = 5 + i * rowHeight;
    const width = Math.max(1, (value / largest) * barWidth);
    return (
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeHtml(shorten(name, 28))}</text>` +
      `<rect x="${labelWidth}" y="${y + 3}" width="${width.toFixed(1)}" height="${rowHeight - 6}" fill="#2563eb"><title>${escapeHtml(name)}: ${number(value)}</title></rect>` +
      `<text x="${(labelWidth + width + 6).toFixed(1)}" y="${y + 15}">${number(value, 3)}</text>`
    );
  });
  const width = labelWidth + barWidth + 60;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${label}">${parts.join('')}</svg>`;
}

/** At most 2000 points (evenly sampled), so the page stays small. */
function scatterSvg(truth: Float64Array, predicted: Float64Array): string {
  const size = 420;
  const pad = 50;
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < truth.length; i++) {
    low = Math.min(low, truth[i], predicted[i]);
    high = Math.max(high, truth[i], predicted[i]);
  }
  if (high === low) high = low + 1;
  const scale = (v: number): number => pad + ((v - low) / (high - low)) * (size - 2 * pad);
  const step = Math.max(1, Math.ceil(truth.length / 2000));
  const points: string[] = [];
  for (let i = 0; i < truth.length; i += step) {
    points.push(`<circle cx="${scale(truth[i]).toFixed(1)}" cy="${(size - scale(predicted[i])).toFixed(1)}" r="2.5"/>`);
  }
  const axis = (v: number): string => number(v, 2);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="predicted versus actual">
<rect x="${pad}" y="${pad}" width="${size - 2 * pad}" height="${size - 2 * pad}" fill="none" stroke="#9ca3af"/>
<line x1="${pad}" y1="${size - pad}" x2="${size - pad}" y2="${pad}" stroke="#dc2626" stroke-dasharray="4 3"/>
<g fill="rgba(37,99,235,0.45)">${points.join('')}</g>
<text x="${pad}" y="${size - pad + 16}">${axis(low)}</text><text x="${size - pad}" y="${size - pad + 16}" text-anchor="end">${axis(high)}</text>
<text x="${size / 2}" y="${size - 12}" text-anchor="middle">actual</text>
<text x="${pad - 6}" y="${size - pad}" text-anchor="end">${axis(low)}</text><text x="${pad - 6}" y="${pad + 4}" text-anchor="end">${axis(high)}</text>
<text transform="translate(14,${size / 2}) rotate(-90)" text-anchor="middle">predicted</text>
</svg>`;
}

/** Scores in 40 bins over [0, 1] (normal and anomalous rows stacked when truth is known), threshold in red. */
function scoreHistogramSvg(values: Float64Array, truth: Uint8Array | null, threshold: number): string {
  const width = 560;
  const height = 220;
  const pad = 36;
  const bins = 40;
  const normal = new Array<number>(bins).fill(0);
  const anomalous = new Array<number>(bins).fill(0);
  values.forEach((score, i) => {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(score * bins)));
    if (truth !== null && truth[i] === 1) anomalous[bin]++;
    else normal[bin]++;
  });
  const tallest = Math.max(1, ...normal.map((n, b) => n + anomalous[b]));
  const barWidth = (width - 2 * pad) / bins;
  const y = (count: number): number => ((height - 2 * pad) * count) / tallest;
  const bars: string[] = [];
  for (let b = 0; b < bins; b++) {
    const x = (pad + b * barWidth).toFixed(1);
    const normalHeight = y(normal[b]);
    const anomalyHeight = y(anomalous[b]);
    const range = `${(b / bins).toFixed(3)}–${((b + 1) / bins).toFixed(3)}`;
    if (normal[b] > 0) {
      bars.push(`<rect x="${x}" y="${(height - pad - normalHeight).toFixed(1)}" width="${(barWidth - 1).toFixed(1)}" height="${normalHeight.toFixed(1)}" fill="#2563eb"><title>${range}: ${normal[b]}${truth === null ? '' : ' normal'}</title></rect>`);
    }
    if (anomalous[b] > 0) {
      bars.push(`<rect x="${x}" y="${(height - pad - normalHeight - anomalyHeight).toFixed(1)}" width="${(barWidth - 1).toFixed(1)}" height="${anomalyHeight.toFixed(1)}" fill="#f59e0b"><title>${range}: ${anomalous[b]} anomalies</title></rect>`);
    }
  }
  const lineX = (pad + threshold * (width - 2 * pad)).toFixed(1);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="anomaly score histogram">
${bars.join('')}
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#9ca3af"/>
<line x1="${lineX}" y1="${pad - 10}" x2="${lineX}" y2="${height - pad}" stroke="#dc2626" stroke-width="2"><title>threshold ${number(threshold)}</title></line>
<text x="${lineX}" y="${pad - 14}" text-anchor="middle">threshold ${number(threshold, 3)}</text>
<text x="${pad}" y="${height - pad + 16}">0</text><text x="${width - pad}" y="${height - pad + 16}" text-anchor="end">1</text>
<text x="${width / 2}" y="${height - 8}" text-anchor="middle">anomaly score</text>
</svg>`;
}

function shorten(text: string, max = 18): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `--tune` in one line: what was chosen, and why (its validation score against the defaults'). */
export function tuningLine(tuning: TuneResult): string {
  const score = (value: number) => (Number.isFinite(value) ? value.toFixed(4) : 'n/a');
  const chosen = `minGain ${tuning.chosen.minGain}, minSamplesLeaf ${tuning.chosen.minSamplesLeaf}, maxFeatures ${tuning.chosen.maxFeatures}`;
  const where = `the ${tuning.split === 'time' ? 'newest' : 'random'} ${tuning.validationRows} of the training rows`;
  const tried = `${tuning.trials.length} of ${tuning.candidates} candidates in ${tuning.spentSeconds.toFixed(1)} s${tuning.trials.length < tuning.candidates ? ` (the ${tuning.budgetSeconds} s budget ran out)` : ''}`;
  const chosenTrial = tuning.trials.find((t) => t.minGain === tuning.chosen.minGain && t.minSamplesLeaf === tuning.chosen.minSamplesLeaf && t.maxFeatures === tuning.chosen.maxFeatures);
  const defaults = tuning.trials[0];
  const why = !Number.isFinite(tuning.chosenScore)
    ? 'too few training rows to validate on: the defaults'
    : chosenTrial === defaults
      ? `the defaults: no simpler candidate came within one standard error of the best ${tuning.metric} on ${where} (defaults ${score(tuning.defaultScore)})`
      : `${tuning.metric} ${score(tuning.chosenScore)} on ${where} against ${score(tuning.defaultScore)} for the defaults; the fewest tree nodes (${chosenTrial?.nodes} against ${defaults.nodes}) of the candidates within one standard error of the best`;
  const fixed = tuning.fixed.length > 0 ? `; kept as given: ${tuning.fixed.join(', ')}` : '';
  return `Tuned: ${chosen} (${why}; ${tried}${fixed}).`;
}

function tuningSection(tuning: TuneResult): string {
  const rows = tuning.trials
    .map((t) => ({ t, chosen: t.minGain === tuning.chosen.minGain && t.minSamplesLeaf === tuning.chosen.minSamplesLeaf && t.maxFeatures === tuning.chosen.maxFeatures }))
    .map(({ t, chosen }) => [String(t.minGain), String(t.minSamplesLeaf), String(t.maxFeatures), Number.isFinite(t.score) ? t.score.toFixed(4) : 'n/a', String(t.nodes), t.seconds.toFixed(2), chosen ? 'chosen' : '']);
  return `<h2>Tuning</h2><p class="note">${escapeHtml(tuningLine(tuning))} Each candidate: a forest of up to 30 trees on the other training rows; the held-out rows were not used. The rule: of the candidates within one standard error of the lowest validation loss, the fewest tree nodes (CART's one-standard-error rule).</p>${table(['minGain', 'minSamplesLeaf', 'maxFeatures', tuning.metric, 'nodes', 'seconds', ''], rows, 3)}`;
}

/** Boosting's iterations, and what early stopping did: "34 iterations (early stopping: the best of 44 on 1,800 validation rows)". */
export function boostingText(params: Record<string, unknown>): string {
  const stopping = params.earlyStopping as { grown: number; validationRows: number } | undefined;
  const iterations = `${params.iterations as number} iteration${params.iterations === 1 ? '' : 's'} of at most ${params.maxIter as number}`;
  if (stopping !== undefined) return `${iterations} (early stopping: the best of ${stopping.grown} grown, by the loss on ${stopping.validationRows} validation rows set apart from the training rows)`;
  return params.iterations !== params.maxIter ? `${iterations} (the count early stopping chose before the refit)` : iterations;
}
