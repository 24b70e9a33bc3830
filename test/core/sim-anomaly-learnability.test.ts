/**
 * Anomaly models on simulator data: `iot-ai simulate --csv --anomalies` writes readings with injected faults and
 * their truth, feature-window's engine (the `iot-ai window` / `iot-ai train --window` path) cuts them into
 * 10-minute windows, and each detector learns without labels from a clean-ish period (anomalies 0.01) and is judged
 * on a later period (anomalies 0.05) at the threshold it chose from the training windows. The plain z-score rule
 * (training mean/std, any |z| > 3) is the baseline. A window is anomalous when any reading in it is.
 *
 * Floors sit below the worst seed measured, with margin. The CI run uses one seed per scenario; IOT_AI_FULL=1 runs
 * more, and IOT_AI_ANOMALY_TABLE=1 prints the docs/anomaly.md table ("On simulated data").
 */
import assert from 'node:assert/strict';
import { runSimulate } from '../../src/cli/simulate';
import { windowTable } from '../../src/cli/windowing';
import { AnomalyMethod } from '../../src/core/model/monitor/anomaly';
import { parseCsv, type CsvTable } from '../../src/core/model/data/csv';
import { DetectionMetrics, detectionMetrics, rocAuc } from '../../src/core/model/train/metrics';
import { loadModel } from '../../src/core/model/file/model-file';
import { chooseAnomalyMethod, trainAnomalyModel } from '../../src/core/model/train/train-anomaly';
import { zScoreFlags } from './anomaly-data';

const DAY_S = 86400;
const KINDS = ['spike', 'stuck', 'drift', 'tachycardia'] as const;
type Kind = (typeof KINDS)[number];

interface Setup {
  scenario: 'city' | 'home' | 'health';
  sensors: string[];
  devices: number;
}

const SETUPS: Setup[] = [
  { scenario: 'city', sensors: ['pm25', 'no2'], devices: 6 },
  { scenario: 'home', sensors: ['temperature', 'humidity', 'co2'], devices: 5 },
  { scenario: 'health', sensors: ['heartRate', 'skinTemp'], devices: 6 },
];

const WINDOW = { window: 'tumbling', size: 10, unit: 'min', time: 'event', features: ['mean', 'std', 'min', 'max', 'slope'], minCount: 3 };
const TRAIN_DAYS = 3;
const TEST_DAYS = 2;

interface Windows {
  featureNames: string[];
  rows: Float64Array[];
  truth: Uint8Array;
  /** The kind of the first anomalous reading in each window ('' when normal). */
  kinds: string[];
}

async function simulateCsv(setup: Setup, seed: number, startDay: number, days: number, anomalies: number): Promise<CsvTable> {
  let stdout = '';
  const start = new Date(Date.UTC(2024, 5, 3) + startDay * DAY_S * 1000).toISOString();
  const argv = ['--scenario', setup.scenario, '--csv', '-', '--devices', String(setup.devices), '--seed', String(seed), '--interval', '60000'];
  argv.push('--start', start, '--duration', String(days * DAY_S), '--anomalies', String(anomalies));
  const code = await runSimulate(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true } });
  assert.equal(code, 0);
  const parsed = parseCsv(stdout);
  assert.ok(parsed.ok);
  return parsed.table;
}

/** Windows of the readings by feature-window's engine, each with the truth of the readings inside it. */
function windows(table: CsvTable, setup: Setup): Windows {
  const result = windowTable(table, { ...WINDOW, sensors: setup.sensors });
  assert.ok(result.ok, result.ok ? '' : result.error);
  const column = (name: string) => table.header.indexOf(name);
  const [device, ts, anomaly, kind] = [column('deviceId'), column('ts'), column('truth.anomaly'), column('truth.anomalyKind')];
  const marks = new Map<string, Array<{ ts: number; kind: string }>>();
  for (const row of table.rows) {
    if (row[anomaly] !== 'true') continue;
    const list = marks.get(row[device]) ?? [];
    list.push({ ts: Number(row[ts]), kind: row[kind] });
    marks.set(row[device], list);
  }
  const { featureNames } = result.windowed;
  const rows: Float64Array[] = [];
  const truth: number[] = [];
  const kinds: string[] = [];
  for (const w of result.windowed.rows) {
    if (!featureNames.every((name) => Number.isFinite(w.features[name]))) continue;
    rows.push(Float64Array.from(featureNames, (name) => w.features[name]));
    const hit = (marks.get(w.deviceId) ?? []).find((m) => m.ts >= w.start && m.ts < w.end);
    truth.push(hit ? 1 : 0);
    kinds.push(hit ? hit.kind : '');
  }
  return { featureNames, rows, truth: Uint8Array.from(truth), kinds };
}

interface Measured extends DetectionMetrics {
  auc: number | null;
  byKind: Partial<Record<Kind, number>>;
}

function measure(test: Windows, flags: Uint8Array, scores: Float64Array | null): Measured {
  const byKind: Partial<Record<Kind, number>> = {};
  for (const kind of KINDS) {
    const hits = test.kinds.flatMap((k, i) => (k === kind ? [i] : []));
    if (hits.length > 0) byKind[kind] = hits.filter((i) => flags[i] === 1).length / hits.length;
  }
  return { ...detectionMetrics(test.truth, flags), auc: scores === null ? null : rocAuc(test.truth, scores), byKind };
}

async function detect(train: Windows, test: Windows, seed: number, method: AnomalyMethod | 'auto', contamination?: number): Promise<Measured & { method: string }> {
  const { model } = await trainAnomalyModel({ featureNames: train.featureNames, rows: train.rows }, { name: 'sim', createdAt: new Date(0), method, seed, contamination });
  const loaded = loadModel(model);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
  const threshold = model.anomaly?.threshold as number;
  const scores = Float64Array.from(test.rows, (row) => loaded.model.anomalyScore(row));
  return { ...measure(test, Uint8Array.from(scores, (s) => (s > threshold ? 1 : 0)), scores), method: model.anomaly?.method as string };
}

async function compare(setup: Setup, seed: number) {
  // Training: the first days with few faults (no labels used); judged: later days with more.
  const train = windows(await simulateCsv(setup, seed, 0, TRAIN_DAYS, 0.01), setup);
  const test = windows(await simulateCsv(setup, seed, TRAIN_DAYS, TEST_DAYS, 0.05), setup);
  return {
    trainWindows: train.rows.length,
    testWindows: test.rows.length,
    faultyShare: test.truth.reduce((a, b) => a + b, 0) / test.truth.length,
    auto: await detect(train, test, seed, 'auto'),
    isolationForest: await detect(train, test, seed, 'isolation-forest'),
    isolationForest05: await detect(train, test, seed, 'isolation-forest', 0.05),
    robustZ: await detect(train, test, seed, 'robust-z'),
    robustZ02: await detect(train, test, seed, 'robust-z', 0.02),
    zScore: measure(test, zScoreFlags(train.rows, test.rows), null),
    flatLine: measure(test, flatLineFlags(test), null),
  };
}

/** The plain stuck-sensor rule: a window in which some sensor's readings do not vary at all (std 0). */
function flatLineFlags(test: Windows): Uint8Array {
  const stds = test.featureNames.flatMap((name, f) => (name.endsWith('.std') ? [f] : []));
  return Uint8Array.from(test.rows, (row) => (stds.some((f) => row[f] === 0) ? 1 : 0));
}

type Result = Awaited<ReturnType<typeof compare>>;

const SEEDS = process.env.IOT_AI_FULL ? [1, 2, 3, 4] : [1];

describe('anomaly models: learnability on simulator data with injected faults (iot-ai simulate --anomalies)', function () {
  this.timeout(300_000);
  const results = new Map<string, Result[]>();
  before(async () => {
    for (const setup of SETUPS) {
      const list: Result[] = [];
      for (const seed of SEEDS) list.push(await compare(setup, seed));
      results.set(setup.scenario, list);
    }
  });

  it('the default method (auto) is robust-z at any size, and is what the table calls the default', () => {
    assert.equal(chooseAnomalyMethod(100), 'robust-z');
    assert.equal(chooseAnomalyMethod(100_000), 'robust-z');
    for (const list of results.values()) for (const r of list) assert.equal(r.auto.method, 'robust-z');
  });

  it('city (pm25, no2): robust-z at the default contamination catches the spikes with few false alarms, ahead of the isolation forest', () => {
    for (const r of results.get('city')!) {
      assert.ok(r.robustZ.detectionRate >= 0.08, `detection ${r.robustZ.detectionRate}`);
      assert.ok(r.robustZ.falseAlarmRate <= 0.02, `false alarms ${r.robustZ.falseAlarmRate}`);
      assert.ok((r.robustZ.byKind.spike ?? 0) >= 0.9, JSON.stringify(r.robustZ.byKind));
      assert.ok((r.robustZ.auc as number) >= 0.7, `AUC ${r.robustZ.auc}`);
      assert.ok(r.robustZ.detectionRate > 2 * r.isolationForest.detectionRate, `${r.robustZ.detectionRate} vs forest ${r.isolationForest.detectionRate}`);
    }
  });

  it('home and health: robust-z detection and false-alarm floors, ahead of the isolation forest at the same contamination', () => {
    const floors = { home: { detection: 0.06, falseAlarms: 0.03, spike: 0.9 }, health: { detection: 0.05, falseAlarms: 0.01, spike: 0.3 } };
    // Health 0.15 before the threshold was calibrated on the newest training rows (#25.6): its days drift, so the
    // threshold rises and false alarms fall (docs/anomaly.md).
    for (const [scenario, floor] of Object.entries(floors)) {
      for (const r of results.get(scenario)!) {
        assert.ok(r.robustZ.detectionRate >= floor.detection, `${scenario} detection ${r.robustZ.detectionRate}`);
        assert.ok(r.robustZ.falseAlarmRate <= floor.falseAlarms, `${scenario} false alarms ${r.robustZ.falseAlarmRate}`);
        assert.ok((r.robustZ.byKind.spike ?? 0) >= floor.spike, `${scenario} ${JSON.stringify(r.robustZ.byKind)}`);
        assert.ok((r.robustZ.auc as number) >= 0.7, `${scenario} AUC ${r.robustZ.auc}`);
        assert.ok(r.robustZ.detectionRate > r.isolationForest.detectionRate, `${scenario} ${r.robustZ.detectionRate} vs forest ${r.isolationForest.detectionRate}`);
      }
    }
    // Health: abnormal heart rate at rest (tachycardia) is the fault robust-z finds best after spikes (0.3 and more
    // before #25.6's calibrated threshold, which trades it for false alarms on later days).
    for (const r of results.get('health')!) assert.ok((r.robustZ.byKind.tachycardia ?? 0) >= 0.03, JSON.stringify(r.robustZ.byKind));
  });

  it('the z-score rule on the same windows: more false alarms than robust-z; stuck sensors need the flat-line rule', () => {
    for (const list of results.values()) {
      for (const r of list) {
        assert.ok(r.zScore.rows === r.testWindows && r.testWindows > 1000);
        assert.ok(r.robustZ.falseAlarmRate <= r.zScore.falseAlarmRate, `robust-z ${r.robustZ.falseAlarmRate} vs z-score ${r.zScore.falseAlarmRate}`);
        // A window where a sensor does not vary at all: most stuck windows, next to no false alarms.
        assert.ok((r.flatLine.byKind.stuck ?? 1) >= 0.6 && r.flatLine.falseAlarmRate <= 0.002, JSON.stringify({ ...r.flatLine.byKind, fa: r.flatLine.falseAlarmRate }));
      }
    }
  });

  it('prints the docs/anomaly.md table when asked', function () {
    if (!process.env.IOT_AI_ANOMALY_TABLE) this.skip();
    const pickers: Array<[string, (r: Result) => Measured]> = [
      ['isolation forest, contamination 0.01', (r) => r.isolationForest],
      ['isolation forest, contamination 0.05', (r) => r.isolationForest05],
      ['robust-z, contamination 0.01 (default)', (r) => r.robustZ],
      ['robust-z, contamination 0.02', (r) => r.robustZ02],
      ['z-score rule, any \\|z\\| > 3', (r) => r.zScore],
      ['flat-line rule, some sensor std = 0', (r) => r.flatLine],
    ];
    const mean = (values: number[]): string => (values.length === 0 ? '–' : (values.reduce((a, b) => a + b, 0) / values.length).toFixed(3));
    const range = (values: number[]): string => (values.length < 2 ? '' : ` (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`);
    const lines: string[] = [];
    for (const [scenario, list] of results) {
      lines.push(
        `${scenario}: ${list[0].trainWindows} training / ${list[0].testWindows} judged windows per seed, ${mean(list.map((r) => r.faultyShare))} of the judged ones faulty`,
        '',
        '| detector | detection | false alarms | precision | ROC AUC | spike | stuck | drift | tachycardia |',
        '|---|---|---|---|---|---|---|---|---|',
      );
      for (const [name, pick] of pickers) {
        const m = list.map(pick);
        const auc = m[0].auc === null ? '–' : mean(m.map((x) => x.auc as number));
        const kinds = KINDS.map((k) => mean(m.flatMap((x) => (x.byKind[k] === undefined ? [] : [x.byKind[k] as number]))));
        lines.push(
          `| ${name} | ${mean(m.map((x) => x.detectionRate))}${range(m.map((x) => x.detectionRate))} | ${mean(m.map((x) => x.falseAlarmRate))}${range(m.map((x) => x.falseAlarmRate))} | ${mean(m.map((x) => x.precision))} | ${auc} | ${kinds.join(' | ')} |`,
        );
      }
      lines.push('');
    }
    console.log(lines.join('\n'));
  });
});
