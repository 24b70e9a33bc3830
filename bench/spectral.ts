/**
 * Spectral window features (issue 21.5) on public real accelerometer data: UCI "Activity Recognition from Single
 * Chest-Mounted Accelerometer" (bench/data/chest-accel.csv.gz, 15 people, 52 Hz, 6 activities; bench/data/README.md).
 * `iot-ai train --window` with and without the spectral features, on the time-ordered split the CLI makes by default,
 * in two layouts of the same readings:
 *
 * - recordings: each stretch of one activity is a device; the newest 20% of each is held out (after a one-window gap).
 *   The model has seen the first part of the very recording it is tested on.
 * - new wearers: one device whose time line is the 15 people one after the other; the newest 20% is the last three
 *   people, whom the model has never seen (how a model trained on some wearers meets the next ones).
 *
 * Then what they cost: readings per second through the window engine (50 Hz, 5 s tumbling windows, one sensor) with
 * the moment features alone and with every spectral feature at 64 and 256 points (median of 5 runs).
 *
 * Run: npx tsx bench/spectral.ts   (npm run build first: it runs bin/iot-ai.js). Prints Markdown tables.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parseWindowConfig, WindowEngine } from '../src/core/window';
import { ROOT, runProcess, tempDir } from './lib/project';

const MOMENTS = ['mean', 'std', 'min', 'max', 'median', 'p10', 'p90'];
const SPECTRAL = ['domFreq', 'spectralEntropy', 'bandEnergy', 'fftMag'];
/** 5 s windows every 2.5 s: 260 readings at 52 Hz, resampled to 256 points (0.2 Hz bins up to 25.5 Hz). */
const WINDOW = { window: 'sliding', size: 5, slide: 2.5, unit: 's', spectralPoints: 256, bands: '0-0.5, 0.5-1.5, 1.5-3, 3-6, 6-12, 12-26', fftCoefficients: 8 };
const SEEDS = [1, 2, 3];

async function main(): Promise<void> {
  const dir = tempDir('iot-ai-spectral-');
  const csv = zlib.gunzipSync(fs.readFileSync(path.join(ROOT, 'bench', 'data', 'chest-accel.csv.gz'))).toString('utf8');
  const recordings = path.join(dir, 'recordings.csv');
  fs.writeFileSync(recordings, csv);
  // One device for everyone: the file's ts already puts the participants one after the other.
  const wearers = path.join(dir, 'wearers.csv');
  fs.writeFileSync(wearers, csv.replace(/^p\d+s\d+,/gm, 'wearers,'));
  const windows = {
    without: { ...WINDOW, features: MOMENTS },
    with: { ...WINDOW, features: [...MOMENTS, ...SPECTRAL] },
  };
  for (const [name, props] of Object.entries(windows)) fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(props));

  const rows: string[] = [];
  for (const [layout, data] of [['recordings', recordings], ['new wearers', wearers]] as const) {
    const scores: Record<string, number[]> = { without: [], with: [] };
    let features: Record<string, number> = {};
    let heldOut = '';
    for (const variant of ['without', 'with'] as const) {
      for (const seed of SEEDS) {
        const out = path.join(dir, `${variant}-${seed}.json`);
        const run = await runProcess(process.execPath, [path.join(ROOT, 'bin', 'iot-ai.js'), 'train', '--data', data, '--label', 'activity', '--window', path.join(dir, `${variant}.json`), '--out', out, '--seed', String(seed)]);
        if (run.code !== 0) throw new Error(`iot-ai train failed: ${run.stderr || run.stdout}`);
        const accuracy = /^ {2}accuracy\s+([\d.]+)/m.exec(run.stdout);
        if (!accuracy) throw new Error(`no accuracy in:\n${run.stdout}`);
        scores[variant].push(Number(accuracy[1]));
        features = { ...features, [variant]: Number(/(\d+) features/.exec(run.stdout)?.[1]) };
        heldOut = /Held-out metrics \((\d+) rows/.exec(run.stdout)?.[1] ?? '?';
        process.stderr.write(`${layout}, ${variant} spectral, seed ${seed}: ${accuracy[1]}\n`);
      }
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const cell = (xs: number[]): string => `${(100 * mean(xs)).toFixed(1)}% (${xs.map((x) => (100 * x).toFixed(1)).join(', ')})`;
    rows.push(`| ${layout} | ${heldOut} | ${cell(scores.without)} [${features.without}] | ${cell(scores.with)} [${features.with}] | ${(100 * (mean(scores.with) - mean(scores.without))).toFixed(1)} |`);
  }
  console.log('| held out | windows held out | without spectral [features] | with spectral [features] | points |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  fs.rmSync(dir, { recursive: true, force: true });
  cost();
}

/** Readings per second through the engine: 2,000 devices' 10 s of 50 Hz readings, 5 s tumbling windows. */
function cost(): void {
  const readings: Array<{ deviceId: string; sensor: string; value: number; ts: number }> = [];
  for (let i = 0; i < 500; i++) for (let d = 0; d < 200; d++) readings.push({ deviceId: `d${d}`, sensor: 'accel', value: Math.sin(i / 3 + d) + ((i * 7919 + d) % 13) / 13, ts: 1_700_000_000_000 + i * 20 });
  const variants: Array<[string, Record<string, unknown>]> = [
    ['moments (mean std min max median p10 p90)', { features: MOMENTS }],
    ['+ every spectral feature, 64 points', { features: [...MOMENTS, ...SPECTRAL], spectralPoints: 64 }],
    ['+ every spectral feature, 256 points', { features: [...MOMENTS, ...SPECTRAL], spectralPoints: 256 }],
  ];
  console.log('');
  console.log('| features | readings/s (median of 5) |');
  console.log('|---|---|');
  for (const [name, props] of variants) {
    const parsed = parseWindowConfig({ window: 'tumbling', size: 5, unit: 's', ...props });
    if (!parsed.ok) throw new Error(parsed.error);
    const rates: number[] = [];
    for (let run = 0; run < 5; run++) {
      const engine = new WindowEngine(parsed.config);
      const started = process.hrtime.bigint();
      for (const r of readings) engine.add(r, r.ts);
      engine.flush();
      rates.push(readings.length / (Number(process.hrtime.bigint() - started) / 1e9));
    }
    rates.sort((a, b) => a - b);
    console.log(`| ${name} | ${Math.round(rates[2]).toLocaleString('en')} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
