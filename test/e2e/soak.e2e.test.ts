/**
 * Soak (docs/reliability.md, Soak): a full flow, sensor-ingest → feature-window → model-predict →
 * actuator-command, in a real Node-RED fed 5,000 readings a second for 5 minutes by an inject-driven generator
 * inside the flow. A sampler function node records RSS, heap and event-loop delay every second. Passes when the
 * last minute's memory shows no upward trend over the first's and the log holds no error.
 * Runs only in `npm run test:full` (IOT_AI_FULL=1); IOT_AI_SOAK_SECONDS shortens it for a try-out.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/core/model';
import { toyClassifier } from '../helpers/models';
import { NodeRedProcess } from '../helpers/nodered-process';
import { tab, TAB } from '../helpers/flows';

const SECONDS = Number(process.env.IOT_AI_SOAK_SECONDS ?? 300);
const READINGS_PER_SECOND = 5000;
const DEVICES = 100;
/** Memory may not grow from the first minute to the last by more than this (fraction, and at least this many MB). */
const GROWTH_FRACTION = 0.1;
const GROWTH_FLOOR_MB = 20;

interface Sample {
  t: number;
  rss: number;
  heapUsed: number;
  loopP99Ms: number;
  loopMaxMs: number;
  readings: number;
}

function soakFlow(modelPath: string): object[] {
  const perTick = READINGS_PER_SECOND / 10 / 2; // messages per 100 ms tick, two readings (temp, noise) each
  const counter = (id: string, key: string, expr: string, y: number) => ({ id, type: 'function', z: TAB, name: `count ${key}`, func: `flow.set('${key}', (flow.get('${key}') || 0) + ${expr}); return null;`, outputs: 1, x: 900, y, wires: [[]] });
  return [
    tab('soak'),
    { id: 'tick', type: 'inject', z: TAB, props: [{ p: 'payload' }], repeat: '0.1', once: true, onceDelay: '1', payload: '', payloadType: 'date', x: 100, y: 100, wires: [['generate']] },
    {
      id: 'generate',
      type: 'function',
      z: TAB,
      name: 'devices',
      // Temperature swings slowly per device, so windows change label now and then and commands go out.
      func: `const out = []; const now = Date.now(); let n = context.get('n') || 0;
for (let i = 0; i < ${perTick}; i++, n++) {
  const d = n % ${DEVICES};
  const temp = 25 + 10 * Math.sin(now / 20000 + d);
  out.push({ topic: 'sensors/dev-' + d, payload: { deviceId: 'dev-' + d, ts: now, temp: temp, noise: (n * 7) % 13 } });
}
context.set('n', n); return [out];`,
      outputs: 1,
      x: 250,
      y: 100,
      wires: [['ingest']],
    },
    { id: 'ingest', type: 'sensor-ingest', z: TAB, format: 'json', x: 400, y: 100, wires: [['window'], ['count-rejects']] },
    { id: 'window', type: 'feature-window', z: TAB, window: 'tumbling', size: 10, unit: 's', time: 'event', lateness: 500, features: ['mean'], idleTimeout: 30000, x: 550, y: 100, wires: [['predict', 'count-readings'], ['count-late']] },
    { id: 'model', type: 'ml-model', path: modelPath, watch: false },
    { id: 'predict', type: 'model-predict', z: TAB, model: 'model', x: 700, y: 100, wires: [['act'], ['count-errors']] },
    { id: 'act', type: 'actuator-command', z: TAB, rules: [{ label: 'hot', command: { state: 'ON' } }, { label: 'cold', command: { state: 'OFF' } }], topic: 'home/{deviceId}/set', onChangeOnly: true, ack: 'none', x: 850, y: 100, wires: [['count-commands'], []] },
    counter('count-readings', 'readings', 'msg.payload.counts.temp + msg.payload.counts.noise', 160),
    counter('count-rejects', 'rejects', '1', 200),
    counter('count-late', 'late', '1', 240),
    counter('count-errors', 'errors', '1', 280),
    counter('count-commands', 'commands', '1', 320),
    { id: 'sample-tick', type: 'inject', z: TAB, props: [{ p: 'payload' }], repeat: '1', once: true, onceDelay: '1', payload: '', payloadType: 'date', x: 100, y: 400, wires: [['sample']] },
    {
      id: 'sample',
      type: 'function',
      z: TAB,
      name: 'rss, heap, event-loop delay',
      libs: [
        { var: 'perf', module: 'perf_hooks' },
        { var: 'proc', module: 'process' },
      ],
      initialize: "const h = perf.monitorEventLoopDelay({ resolution: 10 }); h.enable(); context.set('histogram', h);",
      func: `const h = context.get('histogram'); const mem = proc.memoryUsage();
const samples = flow.get('samples') || [];
samples.push({ t: Date.now(), rss: mem.rss, heapUsed: mem.heapUsed, loopP99Ms: h.percentile(99) / 1e6, loopMaxMs: h.max / 1e6, readings: flow.get('readings') || 0 });
flow.set('samples', samples); h.reset(); return null;`,
      outputs: 1,
      x: 300,
      y: 400,
      wires: [[]],
    },
    { id: 'get', type: 'http in', z: TAB, url: '/soak', method: 'get', upload: false, x: 100, y: 500, wires: [['read'] ] },
    { id: 'read', type: 'function', z: TAB, func: "msg.payload = { samples: flow.get('samples') || [], rejects: flow.get('rejects') || 0, late: flow.get('late') || 0, errors: flow.get('errors') || 0, commands: flow.get('commands') || 0 }; return msg;", outputs: 1, x: 300, y: 500, wires: [['respond']] },
    { id: 'respond', type: 'http response', z: TAB, statusCode: '', headers: {}, x: 500, y: 500, wires: [] },
  ];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

describe('e2e: soak', function () {
  this.timeout((SECONDS + 180) * 1000);

  it(`soak (npm run test:full only; skipped otherwise): ${SECONDS} s at ${READINGS_PER_SECOND} readings/s through ingest → window → predict → actuator, memory flat, no error`, async function () {
    if (!process.env.IOT_AI_FULL) this.skip();
    const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-soak-model-'));
    const modelPath = path.join(modelDir, 'toy.json');
    await saveModel(modelPath, await toyClassifier('1.0.0', 20));
    const red = await NodeRedProcess.start({ flows: soakFlow(modelPath) });
    try {
      const started = Date.now();
      while (Date.now() - started < SECONDS * 1000) {
        await new Promise((r) => setTimeout(r, 10_000));
        assert.deepEqual(red.errors(), [], 'an error in the log');
      }
      const result: { samples: Sample[]; rejects: number; late: number; errors: number; commands: number } = await red.get('/soak');
      const samples = result.samples;
      const minute = Math.min(60, Math.floor(samples.length / 5));
      const first = samples.slice(5, 5 + minute); // after the first windows have opened
      const last = samples.slice(-minute);
      const rate = (samples[samples.length - 1].readings - samples[0].readings) / ((samples[samples.length - 1].t - samples[0].t) / 1000);
      const figures = {
        readingsPerSecond: Math.round(rate),
        rssFirstMb: mb(median(first.map((s) => s.rss))),
        rssLastMb: mb(median(last.map((s) => s.rss))),
        heapFirstMb: mb(median(first.map((s) => s.heapUsed))),
        heapLastMb: mb(median(last.map((s) => s.heapUsed))),
        loopP99Ms: Math.max(...samples.map((s) => s.loopP99Ms)).toFixed(1),
        loopMaxMs: Math.max(...samples.map((s) => s.loopMaxMs)).toFixed(1),
        commands: result.commands,
        late: result.late,
      };
      console.log(`      ${JSON.stringify(figures)}`);
      fs.mkdirSync(path.resolve(__dirname, '..', '..', 'test-results'), { recursive: true });
      fs.writeFileSync(path.resolve(__dirname, '..', '..', 'test-results', 'soak.json'), JSON.stringify({ figures, samples }, null, 1));

      for (const key of ['rss', 'heapUsed'] as const) {
        const before = median(first.map((s) => s[key]));
        const after = median(last.map((s) => s[key]));
        const allowed = Math.max(before * GROWTH_FRACTION, GROWTH_FLOOR_MB * 1e6);
        assert.ok(after - before <= allowed, `${key} grew from ${mb(before)} MB (first minute) to ${mb(after)} MB (last minute), over ${mb(allowed)} MB`);
      }
      assert.equal(result.rejects, 0, 'sensor-ingest rejected readings');
      assert.equal(result.errors, 0, 'model-predict failed on windows');
      assert.ok(samples.length >= SECONDS - 5, `${samples.length} samples: the sampler kept up`);
      assert.deepEqual(red.errors(), []);
    } finally {
      await red.dispose();
      fs.rmSync(modelDir, { recursive: true, force: true });
    }
  });
});
