/**
 * The held-out check: the default anomaly-detect session on the Numenta Anomaly Benchmark corpus (58 streams),
 * scored with NAB's own label windows (labels/combined_windows.json) and our scorer. Not used for tuning.
 * Usage: node -r tsx/cjs bench/nab-heldout.ts NAB_DIR
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ANOMALY_DEFAULTS, AnomalySession, DETECTOR_METHODS } from '../src/core/anomaly';
import { LOW_FP, normalisedScore, scoreStream, STANDARD, type Window } from './lib/nab-score';

const dir = process.argv[2];
const windows: Record<string, [string, string][]> = JSON.parse(readFileSync(path.join(dir, 'combined_windows.json'), 'utf8'));
const streams = Object.keys(windows).sort().map((name) => {
  const lines = readFileSync(path.join(dir, 'data', name), 'utf8').trim().split('\n').slice(1);
  const ts = lines.map((l) => Date.parse(l.split(',')[0].replace(' ', 'T') + 'Z'));
  const values = lines.map((l) => Number(l.split(',')[1]));
  const index = (t: string) => ts.findIndex((x) => x >= Date.parse(t.replace(' ', 'T').replace(/\.\d+$/, '') + 'Z'));
  const w: Window[] = windows[name].map(([a, b]) => { const s = index(a); let e = index(b); if (e < 0) e = ts.length - 1; return [s, e] as Window; });
  return { name, ts, values, windows: w };
});
for (const method of (process.argv[3] ? [process.argv[3]] : DETECTOR_METHODS) as any[]) {
  const alarms = streams.map((s) => {
    const session = new AnomalySession({ ...ANOMALY_DEFAULTS, method });
    const out: number[] = [];
    for (let i = 0; i < s.values.length; i++) {
      const r = session.score('s', { value: s.values[i] }, s.ts[i]);
      if (r.ok && !r.learning && r.prediction.episodeStart) out.push(i);
    }
    return out;
  });
  for (const p of [STANDARD, LOW_FP]) {
    const parts = streams.map((s, i) => scoreStream(s.values.length, s.windows, alarms[i], p));
    const tp = parts.reduce((n, x) => n + x.truePositives, 0), fp = parts.reduce((n, x) => n + x.falsePositives, 0), fn = parts.reduce((n, x) => n + x.falseNegatives, 0);
    console.log(`${method} ${p.name}: ${normalisedScore(parts).toFixed(1)} (tp ${tp}, fn ${fn}, fp ${fp})`);
  }
}
