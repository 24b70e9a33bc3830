/**
 * What a `kill -9` of Node-RED can lose with `persist` on the localfilesystem context store
 * (docs/reliability.md, Restarts). A node saves its state at most one second after a change, and the store writes
 * its cache to disk every `flushInterval` seconds: after a kill -9, what arrived in the last
 * flushInterval + 1 s may be gone, and nothing older. The test streams readings into feature-window and
 * commands out of actuator-command, kills Node-RED in the middle, restarts it, and bounds the loss.
 */
import { strict as assert } from 'node:assert';
import { NodeRedProcess } from '../helpers/nodered-process';
import { tab, TAB } from '../helpers/flows';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
/** Scheduling slack on top of flushInterval + the node's 1 s save interval. */
const SLACK_MS = 1000;

/** POST /<path>: the JSON body goes on as msg.payload to `wires`, and the request is answered at once. */
function postEndpoint(path: string, y: number, wires: string[]): object[] {
  return [
    { id: `post-${path}`, type: 'http in', z: TAB, url: `/${path}`, method: 'post', upload: false, x: 150, y, wires: [[...wires, `res-${path}`]] },
    { id: `res-${path}`, type: 'http response', z: TAB, statusCode: '', headers: {}, x: 350, y: y + 40, wires: [] },
  ];
}

function restartFlow(): object[] {
  const getter = (key: string, y: number) => [
    { id: `get-${key}`, type: 'http in', z: TAB, url: `/${key}`, method: 'get', upload: false, x: 150, y, wires: [[`read-${key}`]] },
    { id: `read-${key}`, type: 'function', z: TAB, func: `msg.payload = flow.get(${JSON.stringify(key)}) || null; return msg;`, outputs: 1, x: 350, y, wires: [[`res-get-${key}`]] },
    { id: `res-get-${key}`, type: 'http response', z: TAB, statusCode: '', headers: {}, x: 550, y, wires: [] },
  ];
  return [
    tab('restart loss'),
    // Readings → one long window, persisted; a flush after the restart shows what it still holds.
    ...postEndpoint('reading', 100, ['win']),
    ...postEndpoint('flush', 200, ['set-flush']),
    { id: 'set-flush', type: 'change', z: TAB, rules: [{ t: 'set', p: 'flush', pt: 'msg', to: 'true', tot: 'bool' }], x: 350, y: 200, wires: [['win']] },
    { id: 'win', type: 'feature-window', z: TAB, window: 'tumbling', size: 60, unit: 'min', time: 'event', features: ['count', 'max'], persist: 'file', x: 550, y: 100, wires: [['keep-window'], []] },
    { id: 'keep-window', type: 'function', z: TAB, func: "flow.set('window', msg.payload); return null;", outputs: 1, x: 750, y: 100, wires: [[]] },
    // Predictions → commands that wait for an ack no device sends; after the restart an override ends each one.
    ...postEndpoint('predict', 300, ['act']),
    ...postEndpoint('override', 400, ['to-override']),
    { id: 'to-override', type: 'change', z: TAB, rules: [{ t: 'move', p: 'payload', pt: 'msg', to: 'override', tot: 'msg' }], x: 350, y: 400, wires: [['act']] },
    { id: 'act', type: 'actuator-command', z: TAB, rules: [{ label: 'on', command: { state: 'ON' } }], topic: 'dev/{deviceId}/set', ack: 'payload', ackTimeout: 600000, persist: 'file', x: 550, y: 300, wires: [[], ['keep-outcome']] },
    { id: 'keep-outcome', type: 'function', z: TAB, func: "const list = flow.get('outcomes') || []; list.push(msg.payload); flow.set('outcomes', list); return null;", outputs: 1, x: 750, y: 300, wires: [[]] },
    ...getter('window', 500),
    ...getter('outcomes', 600),
  ];
}

async function postJson(red: NodeRedProcess, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${red.url}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST /${path}: ${res.status}`);
}

describe('e2e: what a kill -9 can lose with the localfilesystem context store', function () {
  this.timeout(120_000);

  for (const flushInterval of [1, 3]) {
    it(`flushInterval ${flushInterval} s: readings and commands older than ${flushInterval} s + 1 s (node save) come back, nothing is half-restored`, async () => {
      const red = await NodeRedProcess.start({
        settings: { contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem', config: { flushInterval } } } },
        flows: restartFlow(),
      });
      try {
        // Readings every 50 ms, a command for a new device every 5th reading, for long enough to span flushes.
        const acceptedAt: number[] = [];
        const commandAt = new Map<string, number>();
        const runFor = 2500 + flushInterval * 1000;
        const started = Date.now();
        for (let seq = 0; Date.now() - started < runFor; seq++) {
          await postJson(red, 'reading', { deviceId: 'meter', sensor: 'seq', value: seq, ts: T0 + seq });
          acceptedAt[seq] = Date.now();
          if (seq % 5 === 0) {
            await postJson(red, 'predict', { deviceId: `lamp-${seq}`, prediction: { label: 'on', confidence: 1 } });
            commandAt.set(`lamp-${seq}`, Date.now());
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        const killedAt = Date.now();
        await red.restart('SIGKILL');

        // What the window still holds: a prefix of the readings, exactly.
        await postJson(red, 'flush', {});
        let window: { features: Record<string, number> } | null = null;
        for (let i = 0; i < 100 && !window; i++) {
          window = await red.get('/window');
          if (!window) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(window, 'the restored window was emitted on flush');
        const kept = window.features['seq.count'];
        assert.equal(window.features['seq.max'], kept - 1, 'the window holds readings 0..n-1, no gap');
        const lostReadings = acceptedAt.length - kept;
        const oldestLost = acceptedAt[kept] ?? killedAt;
        const readingLossMs = killedAt - oldestLost;

        // Which pending commands came back: an override ends each restored one with a final outcome.
        const until = Date.now() + 60_000;
        for (const deviceId of commandAt.keys()) await postJson(red, 'override', { deviceId, until });
        await new Promise((r) => setTimeout(r, 500));
        const outcomes: Array<{ deviceId: string; status: string; detail: string }> = (await red.get('/outcomes')) ?? [];
        const restored = new Set(outcomes.filter((o) => o.status === 'timeout' && o.detail === 'override').map((o) => o.deviceId));
        const vanished = [...commandAt].filter(([deviceId]) => !restored.has(deviceId));
        const commandLossMs = vanished.length === 0 ? 0 : killedAt - Math.min(...vanished.map(([, at]) => at));

        const bound = flushInterval * 1000 + 1000 + SLACK_MS;
        console.log(
          `      flushInterval ${flushInterval} s: lost ${lostReadings} of ${acceptedAt.length} readings (the last ${readingLossMs} ms before the kill), ` +
            `${vanished.length} of ${commandAt.size} pending commands (the last ${commandLossMs} ms); bound ${bound} ms`,
        );
        assert.ok(kept > 0, 'persistence kept something');
        assert.ok(readingLossMs <= bound, `readings of the last ${readingLossMs} ms were lost; at most ${bound} ms may be`);
        assert.ok(commandLossMs <= bound, `commands of the last ${commandLossMs} ms vanished; at most ${bound} ms may`);
        assert.ok(restored.size > 0, 'pending commands came back');
        assert.deepEqual(red.errors(), []);
      } finally {
        await red.dispose();
      }
    });
  }
});
