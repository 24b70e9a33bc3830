/**
 * Issue #27.6 in the runtime: a sensor-sim whose settings are each within their bounds but whose product asks for
 * more readings per second than SIM_BUDGET allows is refused at deploy; one at the budget whose timer runs late
 * (the event loop was blocked) sends at most SIM_BUDGET.readingsPerTick per timer run, skips what is more than
 * maxLagMs late, and lets other work run between its runs (docs/reliability.md, "Bounded work per config").
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { SIM_BUDGET } from '../../src/core/sim';
import { collect, getNode, harness, helper, lastStatus, settle } from '../helpers/runtime';
import sensorSim = require('../../src/nodes/sensor-sim');
import { editorSource } from '../helpers/editor-source';

const START = '2024-06-03T20:00:00Z';

describe('sensor-sim: bounded work per config (#27.6)', function () {
  this.timeout(30_000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('refuses at deploy a config at the old bounds (1,000 devices every 10 ms at speed 10,000): no reading is sent', async () => {
    await helper.load(sensorSim, harness('sensor-sim', { scenario: 'city', devices: 1000, interval: 10, speed: 10000, startTime: START }, 1));
    const n1 = getNode('n1');
    const out = collect('out1');
    const caught = collect('caught');
    assert.equal(lastStatus(n1)?.fill, 'red');
    const logged = (n1.error as any).getCalls().map((c: any) => String(c.args[0]));
    assert.ok(
      logged.some((m: string) => new RegExp(`1000000000 reports per second, above the ${SIM_BUDGET.readingsPerSecond} a running sensor-sim may send`).test(m)),
      logged.join('\n'),
    );
    n1.receive({ payload: 'start' });
    const [error] = await caught.next(1);
    assert.match(error.error.message, /reports per second/);
    await settle(200);
    assert.equal(out.messages.length, 0);
  });

  it('at the budget, after the event loop was blocked: at most readingsPerTick per timer run, the late ones skipped, other work in between', async () => {
    // 1,000 devices reporting every second at speed 2: exactly SIM_BUDGET.readingsPerSecond.
    const devices = 1000;
    const speed = SIM_BUDGET.readingsPerSecond / devices;
    await helper.load(sensorSim, harness('sensor-sim', { scenario: 'home', devices, interval: 1000, speed, startTime: START, faults: false }, 1));
    const n1 = getNode('n1');
    const out = collect('out1');
    // What happens on the event loop, in order: each timer run's send (its size) and the turns of a probe timer.
    const events: Array<number | 'probe'> = [];
    const send = n1.send.bind(n1);
    n1.send = (msgs: unknown[][]) => {
      events.push(msgs[0].length);
      send(msgs);
    };
    await out.next(100, 10_000);
    // Block the event loop for 2.5 s: 5,000 readings fall due; only the last second's (2,000) may still go out.
    const blockedAt = events.length;
    const until = Date.now() + 2500;
    while (Date.now() < until) {
      // busy
    }
    let probing = true;
    const probe = () => {
      events.push('probe');
      if (probing) setTimeout(probe, 1);
    };
    setTimeout(probe, 1);
    await settle(1500);
    probing = false;
    const after = events.slice(blockedAt);
    const sizes = after.filter((e): e is number => typeof e === 'number');
    assert.ok(sizes.length >= 2, `timer runs after the block: ${after.join(',')}`);
    assert.ok(
      events.every((e) => e === 'probe' || e <= SIM_BUDGET.readingsPerTick),
      `a timer run sent more than ${SIM_BUDGET.readingsPerTick}: ${sizes.join(',')}`,
    );
    assert.equal(sizes[0], SIM_BUDGET.readingsPerTick, 'the first run after the block sends a full budget, not all that fell due');
    // The catch-up is spread over runs with other timers in between: a probe turn separates the two full runs.
    const firstFull = after.indexOf(SIM_BUDGET.readingsPerTick);
    const secondRun = after.findIndex((e, i) => i > firstFull && typeof e === 'number');
    assert.ok(after.slice(firstFull + 1, secondRun).includes('probe'), `no other timer ran between the catch-up runs: ${after.slice(0, 20).join(',')}`);
    const text = String(lastStatus(n1)?.text);
    const skipped = /(\d+) sensor-sim\.status\.skipped/.exec(text);
    assert.ok(skipped !== null && Number(skipped[1]) >= 2000, `late readings skipped and counted: ${text}`);
  });
});

describe('sensor-sim editor: the budget is checked where the settings are edited (#27.6)', () => {
  // Node-RED 4 validators: true, or the reason (text) the value is invalid.
  type Validate = (this: Record<string, unknown>, value: unknown) => boolean | string;
  let defaults: Record<string, { value: unknown; validate?: Validate }>;
  before(() => {
    // As the build assembles it: the shared helpers first (they set window.IotAiEditor), then the node's own script.
    const nodes = path.join(__dirname, '..', '..', 'src', 'nodes');
    const source = editorSource('sensor-sim');
    let registered: { defaults: typeof defaults } | undefined;
    const context: Record<string, unknown> = { RED: { nodes: { registerType: (_type: string, def: { defaults: typeof defaults }) => (registered = def) } }, $: () => ({}) };
    context.window = context;
    vm.runInNewContext(source, context);
    defaults = registered!.defaults;
  });
  const valid = (node: Record<string, unknown>) => ['devices', 'interval', 'speed'].every((key) => defaults[key].validate!.call(node, node[key]) === true);

  it('marks a node invalid when devices × speed × 1000 / interval is past the budget, whichever field makes it so', () => {
    assert.equal(valid({ devices: 1000, interval: 10, speed: 10000 }), false, 'the old bounds');
    assert.equal(valid({ devices: 1000, interval: 1000, speed: SIM_BUDGET.readingsPerSecond / 1000 }), true, 'at the budget');
    assert.equal(valid({ devices: 1000, interval: 999, speed: SIM_BUDGET.readingsPerSecond / 1000 }), false, 'just past it');
    assert.equal(valid({ devices: 3, interval: 1000, speed: 1000 }), false);
    assert.equal(valid({ devices: '', interval: '', speed: '' }), true, 'blanks are the defaults');
    assert.equal(valid({ devices: 5, interval: 5000, speed: 1 }), true, 'the sample flows');
  });
});

