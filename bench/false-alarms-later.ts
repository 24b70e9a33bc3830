/**
 * False alarms on later data (issue #25.6): an anomaly model learns from a first period and is judged on a later
 * one at the threshold it chose, once with the old rule (the (1 − c) quantile of its own training scores) and once
 * with the new one (the conformal threshold of the newest training rows held back, see conformalThreshold).
 * The same fitted model scores both; only the threshold differs. Figures go to docs/anomaly.md.
 *
 *   npx tsx bench/false-alarms-later.ts [--seeds N]
 *
 * Data: `iot-ai simulate` (home, city, health; 3 days to learn with faults 0.01, the next 4 days judged with faults
 * 0.05, false alarms counted on the fault-free windows) and a public real stream, the Mauna Loa weekly CO2 record
 * 1958–2001 (Keeling and Whorf, public domain, as shipped in statsmodels' datasets; bench/data): features of its
 * week-on-week changes, learnt from the first 30 % of weeks and judged on the rest (no labels: every flag counts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { runSimulate } from '../src/cli/simulate';
import { windowTable } from '../src/cli/windowing';
import { thresholdFromContamination } from '../src/core/model/monitor/anomaly';
import { parseCsv } from '../src/core/model/data/csv';
import { loadModel } from '../src/core/model/file/model-file';
import { trainAnomalyModel } from '../src/core/model/train/train-anomaly';

const DAY_S = 86400;
const WINDOW = { window: 'tumbling', size: 10, unit: 'min', time: 'event', features: ['mean', 'std', 'min', 'max', 'slope'], minCount: 3 };
const SETUPS = [
  { scenario: 'city', sensors: ['pm25', 'no2'], devices: 6 },
  { scenario: 'home', sensors: ['temperature', 'humidity', 'co2'], devices: 5 },
  { scenario: 'health', sensors: ['heartRate', 'skinTemp'], devices: 6 },
] as const;

interface Rows {
  featureNames: string[];
  rows: Float64Array[];
  truth: Uint8Array;
}

async function simulated(setup: (typeof SETUPS)[number], seed: number, startDay: number, days: number, anomalies: number): Promise<Rows> {
  let stdout = '';
  const start = new Date(Date.UTC(2024, 5, 3) + startDay * DAY_S * 1000).toISOString();
  const argv = ['--scenario', setup.scenario, '--csv', '-', '--devices', String(setup.devices), '--seed', String(seed), '--interval', '60000'];
  argv.push('--start', start, '--duration', String(days * DAY_S), '--anomalies', String(anomalies));
  const code = await runSimulate(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true } });
  if (code !== 0) throw new Error(`simulate exited ${code}`);
  const parsed = parseCsv(stdout);
  if (!parsed.ok) throw new Error('simulate wrote a bad CSV');
  const table = parsed.table;
  const result = windowTable(table, { ...WINDOW, sensors: [...setup.sensors] });
  if (!result.ok) throw new Error(result.error);
  const column = (name: string) => table.header.indexOf(name);
  const [device, ts, anomaly] = [column('deviceId'), column('ts'), column('truth.anomaly')];
  const marks = new Map<string, number[]>();
  for (const row of table.rows) if (row[anomaly] === 'true') marks.set(row[device], [...(marks.get(row[device]) ?? []), Number(row[ts])]);
  const { featureNames } = result.windowed;
  const rows: Float64Array[] = [];
  const truth: number[] = [];
  // Time order, as a live stream arrives.
  const ordered = [...result.windowed.rows].sort((a, b) => a.start - b.start || a.deviceId.localeCompare(b.deviceId));
  for (const w of ordered) {
    if (!featureNames.every((name) => Number.isFinite(w.features[name]))) continue;
    rows.push(Float64Array.from(featureNames, (name) => w.features[name]));
    truth.push((marks.get(w.deviceId) ?? []).some((t) => t >= w.start && t < w.end) ? 1 : 0);
  }
  return { featureNames, rows, truth: Uint8Array.from(truth) };
}

/** Weekly CO2: the week-on-week change and the mean change over 4 weeks (the level itself trends for good). */
function co2(): Rows {
  const text = fs.readFileSync(path.join(__dirname, 'data', 'co2-mauna-loa-weekly.csv'), 'utf8');
  const values = text.trim().split('\n').slice(1).map((line) => Number(line.split(',')[1]));
  const rows: Float64Array[] = [];
  for (let i = 4; i < values.length; i++) {
    const span = values.slice(i - 4, i + 1);
    if (!span.every((v) => Number.isFinite(v) && v > 0)) continue;
    rows.push(Float64Array.of(span[4] - span[3], (span[4] - span[0]) / 4));
  }
  return { featureNames: ['change', 'change4'], rows, truth: new Uint8Array(rows.length) };
}

interface Judged {
  oldRate: number;
  newRate: number;
  oldDetection: number;
  newDetection: number;
  normal: number;
}

async function judge(train: Rows, later: Rows, method: 'robust-z' | 'isolation-forest', contamination: number): Promise<Judged> {
  const { model } = await trainAnomalyModel({ featureNames: train.featureNames, rows: train.rows }, { name: 'later', createdAt: new Date(0), method, contamination, isolationForest: { nTrees: 100 } });
  const loaded = loadModel(model);
  if (!loaded.ok) throw new Error(loaded.error);
  const trainScores = train.rows.map((row) => loaded.model.anomalyScore(row));
  const oldThreshold = thresholdFromContamination(trainScores, contamination);
  const newThreshold = model.anomaly!.threshold;
  let normal = 0;
  let faulty = 0;
  const counts = { oldFalse: 0, newFalse: 0, oldHit: 0, newHit: 0 };
  later.rows.forEach((row, i) => {
    const s = loaded.model.anomalyScore(row);
    if (later.truth[i] === 1) {
      faulty++;
      counts.oldHit += s > oldThreshold ? 1 : 0;
      counts.newHit += s > newThreshold ? 1 : 0;
    } else {
      normal++;
      counts.oldFalse += s > oldThreshold ? 1 : 0;
      counts.newFalse += s > newThreshold ? 1 : 0;
    }
  });
  return { oldRate: counts.oldFalse / normal, newRate: counts.newFalse / normal, oldDetection: counts.oldHit / Math.max(1, faulty), newDetection: counts.newHit / Math.max(1, faulty), normal };
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

async function main(): Promise<void> {
  const seedsArg = process.argv.indexOf('--seeds');
  const seeds = seedsArg > 0 ? Number(process.argv[seedsArg + 1]) : 2;
  console.log('| data | method | c | later rows judged | false alarms, old threshold | false alarms, new | detection old → new |');
  console.log('|---|---|---|---|---|---|---|');
  for (const method of ['robust-z', 'isolation-forest'] as const) {
    for (const contamination of [0.01, 0.05]) {
      for (const setup of SETUPS) {
        const results: Judged[] = [];
        for (let seed = 1; seed <= seeds; seed++) {
          const train = await simulated(setup, seed, 0, 3, 0.01);
          const later = await simulated(setup, seed, 3, 4, 0.05);
          results.push(await judge(train, later, method, contamination));
        }
        const mean = (key: keyof Judged) => results.reduce((sum, r) => sum + r[key], 0) / results.length;
        console.log(`| sim ${setup.scenario} (${seeds} seeds) | ${method} | ${contamination} | ${Math.round(mean('normal'))} | ${pct(mean('oldRate'))} | ${pct(mean('newRate'))} | ${mean('oldDetection').toFixed(2)} → ${mean('newDetection').toFixed(2)} |`);
      }
      const all = co2();
      const cut = Math.floor(all.rows.length * 0.3);
      const r = await judge({ ...all, rows: all.rows.slice(0, cut), truth: all.truth.slice(0, cut) }, { ...all, rows: all.rows.slice(cut), truth: all.truth.slice(cut) }, method, contamination);
      console.log(`| Mauna Loa CO2, weekly changes | ${method} | ${contamination} | ${r.normal} | ${pct(r.oldRate)} | ${pct(r.newRate)} | – |`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
