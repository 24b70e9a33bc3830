/**
 * Issue #14 item 15: a persisted feature-window saves only what changed, in bounded steps. These tests assert on
 * what a save writes (never on timing): which slices, which devices, how many devices a step encodes, and that
 * the slices written so far always restore to the engine as it was at the save.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assembleWindowState, DEVICES_PER_STEP, WindowEngine, WindowStateSlices, type WindowConfig } from '../../src/core/window';
import { deviceHash } from '../../src/core/window/snapshot';
import { runs } from '../helpers/fuzz';
import { config, configArb, stepsArb, type Step } from './window-naive';

const T0 = 1_700_000_000_000;

/** A context store: what the last writes left under each key, as JSON text would keep it. */
class FakeStore {
  readonly values = new Map<string, unknown>();
  keysWritten: string[] = [];

  save(slices: WindowStateSlices): number {
    let steps = 1;
    while (slices.step()) steps++;
    const { header, slices: lists } = slices.writes();
    this.keysWritten = ['state', ...lists.map(([i]) => `state_${i}`)];
    this.values.set('state', JSON.parse(JSON.stringify(header)));
    for (const [i, list] of lists) this.values.set(`state_${i}`, JSON.parse(JSON.stringify(list)));
    return steps;
  }

  load(cfg: WindowConfig): WindowEngine {
    const header = this.values.get('state') as { slices: number };
    const lists = Array.from({ length: header.slices }, (_, i) => this.values.get(`state_${i}`));
    return WindowEngine.restore(cfg, assembleWindowState(header, lists));
  }
}

const viaJson = (engine: WindowEngine): unknown => JSON.parse(JSON.stringify(engine.snapshot()));

describe('window state saved in slices (persist)', () => {
  const cfg = config({ window: 'sliding', size: 60, slide: 10, unit: 's', features: 'mean,std,min,max', maxKeys: 5000 });
  const fleet = (engine: WindowEngine, devices: number, at: number) => {
    for (let d = 0; d < devices; d++) engine.add({ deviceId: `dev-${d}`, sensor: 'temp', value: d, ts: at }, at);
  };

  it(`a save encodes at most ${DEVICES_PER_STEP} devices per step; the first writes every slice`, () => {
    const engine = new WindowEngine(cfg);
    const slices = new WindowStateSlices();
    slices.attach(engine);
    fleet(engine, 1000, T0);
    const pending: number[] = [engine.pendingChanges];
    while (slices.step()) pending.push(engine.pendingChanges);
    pending.push(engine.pendingChanges);
    const expected = Array.from({ length: Math.ceil(1000 / DEVICES_PER_STEP) }, (_, i) => 1000 - i * DEVICES_PER_STEP);
    assert.deepStrictEqual(pending, [...expected, 0], `${expected.length} steps of at most ${DEVICES_PER_STEP} devices`);
    const { header, slices: lists } = slices.writes();
    assert.equal(header.slices, 64);
    assert.equal(lists.length, 64);
    assert.equal(lists.reduce((n, [, list]) => n + list.length, 0), 1000);
  });

  it('after that, a save writes only the slices of the devices that changed, with their new state', () => {
    const engine = new WindowEngine(cfg);
    const slices = new WindowStateSlices();
    slices.attach(engine);
    const store = new FakeStore();
    fleet(engine, 1000, T0);
    store.save(slices);
    for (const id of ['dev-3', 'dev-500']) engine.add({ deviceId: id, sensor: 'temp', value: 1, ts: T0 + 1000 }, T0 + 1000);
    assert.equal(engine.pendingChanges, 2);
    assert.equal(store.save(slices), 1, 'one step');
    const expected = [...new Set(['dev-3', 'dev-500'].map((id) => `state_${deviceHash(id) % 64}`))].sort();
    assert.deepStrictEqual(store.keysWritten.slice(1).sort(), expected, 'the header and the two devices\' slices');
    assert.deepStrictEqual(viaJson(store.load(cfg)), viaJson(engine));
    store.save(slices);
    assert.deepStrictEqual(store.keysWritten, ['state'], 'nothing changed: the header alone');
  });

  it('evicted and forgotten devices leave their slices; a reset empties them all', () => {
    const small = { ...cfg, maxKeys: 10 };
    const engine = new WindowEngine(small);
    const slices = new WindowStateSlices();
    slices.attach(engine);
    const store = new FakeStore();
    fleet(engine, 40, T0); // 10 live, 10 tombstones, 20 forgotten into floors
    store.save(slices);
    const entries = [...store.values.entries()].filter(([k]) => k !== 'state').flatMap(([, list]) => list as Array<{ id: string; tomb?: string }>);
    assert.equal(entries.filter((e) => e.tomb === undefined).length, 10);
    assert.equal(entries.filter((e) => e.tomb !== undefined).length, 10);
    assert.deepStrictEqual(viaJson(store.load(small)), viaJson(engine));
    engine.reset();
    store.save(slices);
    assert.ok(store.keysWritten.length > 1);
    assert.deepStrictEqual(viaJson(store.load(small)), viaJson(engine));
    assert.equal(store.load(small).stats.devices, 0);
  });

  it('whatever happens between saves, the slices written so far restore to the engine as it was at the last save', () => {
    type Op = { kind: 'add'; step: Step } | { kind: 'save' } | { kind: 'flush'; device?: string } | { kind: 'reset'; device?: string } | { kind: 'idle'; now: number };
    const opsArb = stepsArb.chain((steps) =>
      fc.array(fc.record({ at: fc.nat({ max: steps.length }), op: fc.oneof(fc.constant<Op>({ kind: 'save' }), fc.constant<Op>({ kind: 'save' }), fc.record({ kind: fc.constant('flush' as const), device: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }) }), fc.record({ kind: fc.constant('reset' as const), device: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }) }), fc.record({ kind: fc.constant('idle' as const), now: fc.integer({ min: 5000, max: 6500 }) })) }), { maxLength: 12 }).map((controls) => {
        const ops: Op[] = steps.map((step) => ({ kind: 'add', step }));
        for (const { at, op } of [...controls].sort((a, b) => b.at - a.at)) ops.splice(at, 0, op);
        return [...ops, { kind: 'save' } as Op];
      }),
    );
    fc.assert(
      fc.property(configArb, fc.constantFrom(0, 40), fc.integer({ min: 1, max: 3 }), opsArb, (base, idleTimeout, perStep, ops) => {
        const cfg: WindowConfig = { ...base, idleTimeout };
        const engine = new WindowEngine(cfg);
        const slices = new WindowStateSlices(64, perStep);
        slices.attach(engine);
        const store = new FakeStore();
        for (const op of ops) {
          if (op.kind === 'add') engine.add(op.step.reading, op.step.arrival);
          else if (op.kind === 'flush') engine.flush(op.device);
          else if (op.kind === 'reset') engine.reset(op.device);
          else if (op.kind === 'idle') engine.expireIdle(op.now);
          else {
            store.save(slices);
            assert.deepStrictEqual(viaJson(store.load(cfg)), viaJson(engine));
          }
        }
      }),
      { numRuns: runs(150, 5000) },
    );
  });
});
