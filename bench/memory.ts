/**
 * 6. Memory of the window engine with the pipeline's windows (sliding 60 s every 10 s, one reading per second
 * and sensor, so a window holds 60 readings): heap bytes per (device, sensor), and the resident set of a
 * process holding 100,000 devices × 4 sensors. Twice: with the pipeline's features (mean std min max: the engine
 * keeps pane summaries) and with order statistics added (median p90: the engine also keeps every reading's position
 * and value). Baseline:
 * the state the function-node version of the job keeps (per device and sensor, an array of { ts, value } trimmed
 * to the window), built from the same readings.
 */
import { WindowEngine, parseWindowConfig, type CanonicalReading } from '../src/core/window';
import { Fleet } from './lib/data';
import { WINDOW_PROPS } from './lib/flows';
import { ROOT, runProcess } from './lib/project';
import { count, figure, format, progress, runSection, Section, type BenchOptions } from './lib/report';
import { alternate, collectGarbage, ratios, spread } from './lib/timing';

/** Seconds of readings fed: readings 10..69 s are then buffered, a full window of 60 readings, the most a series holds. */
const SECONDS = 70;
const SENSORS = 4;
const WINDOW_MS = 60_000;
const SLIDE_MS = 10_000;
const GOAL_DEVICES = 100_000;

/** The pipeline's features plus two order statistics, which need the window's readings. */
const ORDER_FEATURES = [...WINDOW_PROPS.features, 'median', 'p90'];

type StateKind = 'engine' | 'engine-order' | 'arrays' | 'none';

/** Something that holds window state for readings; `state` keeps it reachable until measured. */
interface StateHolder {
  add(reading: CanonicalReading): void;
  state: unknown;
}

function engineHolder(devices: number, features: readonly string[]): StateHolder {
  const parsed = parseWindowConfig({ ...WINDOW_PROPS, features, maxKeys: Math.max(devices, 1) });
  if (!parsed.ok) throw new Error(parsed.error);
  const engine = new WindowEngine(parsed.config);
  return { add: (reading) => void engine.add(reading, reading.ts), state: engine };
}

/** What the function-node window keeps in context (bench/lib/flows.ts): arrays of { ts, value } per sensor. */
function arraysHolder(): StateHolder {
  const devices: Record<string, { nextEnd: number; readings: Record<string, Array<{ ts: number; value: number }>> }> = {};
  return {
    state: devices,
    add: (reading) => {
      let device = devices[reading.deviceId];
      if (!device) device = devices[reading.deviceId] = { nextEnd: Math.floor(reading.ts / SLIDE_MS) * SLIDE_MS + SLIDE_MS, readings: {} };
      while (reading.ts >= device.nextEnd) device.nextEnd += SLIDE_MS;
      const list = device.readings[reading.sensor] ?? (device.readings[reading.sensor] = []);
      list.push({ ts: reading.ts, value: reading.value as number });
      while (list.length > 0 && list[0].ts < device.nextEnd - WINDOW_MS) list.shift();
    },
  };
}

function holder(kind: StateKind, devices: number): StateHolder {
  if (kind === 'engine') return engineHolder(devices, WINDOW_PROPS.features);
  if (kind === 'engine-order') return engineHolder(devices, ORDER_FEATURES);
  if (kind === 'arrays') return arraysHolder();
  return { add: () => undefined, state: null };
}

function feed(kind: StateKind, devices: number): StateHolder {
  const held = holder(kind, devices);
  if (kind !== 'none') new Fleet(devices, 11).forEachReading(SECONDS, held.add);
  return held;
}

/** Bytes the JavaScript engine holds: its heap and the memory outside it (typed arrays' buffers). */
function heldBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** Bytes per (device, sensor) that a holder of `kind` keeps after the readings, garbage collected. */
function bytesPerSeries(kind: StateKind, devices: number): number {
  collectGarbage();
  const before = heldBytes();
  const held = feed(kind, devices);
  collectGarbage();
  const after = heldBytes();
  if (held.state === undefined) throw new Error('unreachable');
  return (after - before) / (devices * SENSORS);
}

/** In a fresh process: the resident set after holding the state of `devices` devices. */
async function residentSet(kind: StateKind, devices: number): Promise<number> {
  const result = await runProcess(process.execPath, ['--expose-gc', '-r', 'tsx/cjs', 'bench/memory.ts', '--rss-child', kind, String(devices)], ROOT);
  if (result.code !== 0) throw new Error(`memory child (${kind}) failed: ${result.stderr}`);
  return (JSON.parse(result.stdout.trim().split('\n').pop()!) as { rss: number }).rss;
}

function rssChild(kind: StateKind, devices: number): void {
  const held = feed(kind, devices);
  collectGarbage();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  if (held.state === undefined) throw new Error('unreachable');
  console.log(JSON.stringify({ rss, heapUsed, external, arrayBuffers }));
}

async function memorySection(options: BenchOptions): Promise<Section> {
  const heapDevices = options.quick ? 1_000 : 4_000;
  const rssDevices = options.quick ? 10_000 : GOAL_DEVICES;
  /**
   * Quick runs also measure half as many devices, to scale by the cost per device rather than from the floor
   * (below about 5,000 devices the heap's own growth steps still dominate, and the slope overstates).
   */
  const smallRssDevices = rssDevices / 2;
  const extrapolated = rssDevices !== GOAL_DEVICES;
  const rounds = 2;
  const section = new Section(
    'memory',
    '6. Memory (window engine)',
    [
      `The pipeline's windows (sliding 60 s every 10 s), one reading per second per sensor, ${SECONDS} s of readings, after which`,
      'each (device, sensor) has a full window of 60 readings. Two feature sets: the pipeline\'s (mean/std/min/max, which the',
      'engine keeps as one summary per 10 s pane) and the same plus median and p90 (order statistics: the engine also keeps',
      'every reading\'s position and value). Bytes per (device, sensor): `heapUsed + external` (typed arrays live outside the heap) after `global.gc()`',
      `with the state held, minus before, over ${count(heapDevices)} devices × 4 sensors. RSS: a fresh process (\`node --expose-gc\`)`,
      `that holds ${count(rssDevices)} devices × 4 sensors, after \`gc()\`; the processes (ours, baseline, holding nothing: the process`,
      'floor) run side by side, once, as a resident set does not depend on CPU time. Baseline: the state the function-node',
      'version keeps (arrays of `{ ts, value }` per device and sensor, trimmed to the window).',
      options.quick
        ? `Quick runs judge the goal on RSS extrapolated to ${count(GOAL_DEVICES)} devices from ${count(smallRssDevices)} and ${count(rssDevices)} devices.`
        : '',
    ]
      .filter((line) => line !== '')
      .join('\n'),
  );
  if (!(globalThis as { gc?: unknown }).gc) throw new Error('the memory bench needs node --expose-gc');

  progress(`bytes per (device, sensor): ${count(heapDevices)} devices, ${rounds} rounds`);
  const heap = await alternate(
    (['engine', 'engine-order', 'arrays'] as const).map((kind) => ({ name: kind, measure: () => bytesPerSeries(kind, heapDevices) })),
    { rounds, warmUp: 0 },
  );
  const heapRow = (label: string, kind: 'engine' | 'engine-order'): void =>
    section.row(`bytes per (device, sensor), ${label} (ratio: ours ÷ function-node arrays)`, figure(spread(heap[kind]), 'bytes'), figure(spread(heap.arrays), 'bytes'), figure(ratios(heap[kind], heap.arrays), 'ratio'));
  heapRow('mean/std/min/max (pane summaries)', 'engine');
  heapRow('with median and p90 (panes plus every value)', 'engine-order');

  // The processes run side by side, once: a resident set does not depend on the CPU time a process gets and
  // varies by a few MiB between runs, and one holding 100,000 devices takes a minute to fill.
  progress(`RSS: ${count(rssDevices)} devices${extrapolated ? ` (and ${count(smallRssDevices)}, to extrapolate)` : ''}, in fresh processes`);
  const kinds = ['engine', 'engine-order', 'arrays', 'none'] as const;
  // A quick run's smaller process, for the extrapolation below, runs beside them.
  const smallRssRun = extrapolated ? residentSet('engine', smallRssDevices) : undefined;
  const [engineRss, orderRss, arraysRss, floor] = await Promise.all(kinds.map((kind) => residentSet(kind, rssDevices)));
  const rssRow = (label: string, rss: number): void =>
    section.row(`RSS with ${count(rssDevices)} devices × 4 sensors, ${label} (ratio: ours ÷ function-node arrays)`, format(rss, 'bytes'), format(arraysRss, 'bytes'), format(rss / arraysRss, 'ratio'));
  rssRow('mean/std/min/max', engineRss);
  rssRow('with median and p90', orderRss);
  section.row('RSS of the same process holding nothing (process floor)', format(floor, 'bytes'));
  let actual = format(engineRss, 'bytes');
  let goalRss = engineRss;
  if (smallRssRun !== undefined) {
    // A process's fixed costs (young generation, code) grow past the idle floor once it works, so scaling from the
    // floor overstates; the slope between two sizes is the cost per device.
    const smallRss = await smallRssRun;
    const perDevice = (engineRss - smallRss) / (rssDevices - smallRssDevices);
    goalRss = engineRss + perDevice * (GOAL_DEVICES - rssDevices);
    actual = `≈ ${format(goalRss, 'bytes')} (extrapolated from ${count(smallRssDevices)} and ${count(rssDevices)} devices)`;
  }
  section.goal(`RSS with ${count(GOAL_DEVICES)} devices × 4 sensors`, '< 1 GiB', actual, goalRss < 2 ** 30);
  return section;
}

if (process.argv[2] === '--rss-child') rssChild(process.argv[3] as StateKind, Number(process.argv[4]));
else if (require.main === module) runSection(memorySection);
