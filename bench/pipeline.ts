/**
 * 1. Pipeline throughput and 5. latency, in a real Node-RED runtime embedded in this process.
 *
 * 1,000 devices × 4 sensors send one JSON text per device and second of event time into
 * sensor-ingest → feature-window (sliding 60 s every 10 s) → model-predict → actuator-command, against
 * (a) four core change nodes (the runtime's own cost per hop) and (b) the same job in four function nodes.
 * Latency: a paced driver offers half of the measured throughput (ours, and the function nodes' their own); a
 * command's latency runs from the moment the reading that closed its window was due to the moment the command
 * reaches the sink.
 */
import * as path from 'node:path';
import { examplesFromValues, saveModel, trainModel, type ModelFile } from '../src/core/model';
import { parseWindowConfig, WindowEngine, type WindowConfig, type WindowPayload } from '../src/core/window';
import { comfortLabel, Fleet, FLEET_START, SENSORS, type DeviceMessages } from './lib/data';
import { changeChainFlow, DRIVER, functionFlow, MODEL_CONFIG, paletteFlow, REJECTS, SINK, WINDOW_PROPS } from './lib/flows';
import { count, figure, format, progress, runSection, Section, type BenchOptions } from './lib/report';
import { driveFlat, drivePaced, EmbeddedNodeRed, now, type BenchMessage } from './lib/runtime';
import { alternate, quantile, ratios, spread } from './lib/timing';

const DEVICES = 1000;
/** Messages the driver sends per turn of the event loop. */
const BATCH = 250;
/** A run that gets no message at its sink for this long has lost messages: stop with what is known. */
const STALL_SECONDS = 60;

export interface PipelineVariant {
  name: string;
  flow: object[];
  ready?: () => boolean;
}

/** The windows a workload closes: how many, and for each device the driver message that closes each, in order. */
export interface Windows {
  count: number;
  triggers: Map<string, number[]>;
}

function windowConfig(): WindowConfig {
  const parsed = parseWindowConfig(WINDOW_PROPS);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.config;
}

/** The model the pipeline serves: trained with the package's own trainer on the same window features. */
export async function trainComfortModel(file: string): Promise<ModelFile> {
  const engine = new WindowEngine(windowConfig());
  const windows: WindowPayload[] = [];
  new Fleet(200, 7).forEachReading(900, (reading) => {
    for (const event of engine.add(reading, reading.ts)) if (event.kind === 'window') windows.push(event.payload);
  });
  const featureNames = Object.keys(windows[0].features);
  const rows = windows.map((w) => Float64Array.from(featureNames, (name) => w.features[name]));
  const labels = windows.map((w) => comfortLabel(w.features['temperature.mean']));
  const examples = examplesFromValues(featureNames, rows, labels, 'classification');
  if (!examples.ok) throw new Error(examples.error.message);
  const trained = await trainModel(examples.examples, { name: 'bench-comfort', createdAt: new Date(FLEET_START), forest: { nTrees: 20, maxDepth: 10, seed: 1 } });
  await saveModel(file, trained.model);
  return trained.model;
}

/** Which driver message closes each window, found by running the window engine over the same readings. */
export function windowsOf(messages: DeviceMessages): Windows {
  const engine = new WindowEngine(windowConfig());
  const triggers = new Map<string, number[]>();
  let windows = 0;
  messages.payloads.forEach((payload, index) => {
    const data = JSON.parse(payload) as Record<string, number | string>;
    for (const sensor of SENSORS) {
      for (const event of engine.add({ deviceId: data.deviceId as string, sensor, value: data[sensor], ts: data.ts as number }, data.ts as number)) {
        if (event.kind !== 'window') continue;
        windows++;
        const list = triggers.get(event.payload.deviceId) ?? [];
        list.push(index);
        triggers.set(event.payload.deviceId, list);
      }
    }
  });
  return { count: windows, triggers };
}

/**
 * Deploys the variant's flow afresh (no state or context left from an earlier run), wires the sinks, and resolves with the
 * time of the last expected arrival. Anything on the rejects sink fails the run: the figures would be wrong.
 */
async function prepareRun(red: EmbeddedNodeRed, variant: PipelineVariant, expected: number, onArrival: (msg: BenchMessage, at: number, arrived: number) => void) {
  // An empty deployment first: the runtime keeps a node's context across deployments while its id stays.
  await red.deploy([]);
  await red.deploy(variant.flow, variant.ready);
  let arrived = 0;
  let lastArrival = now();
  let finish!: (at: number) => void;
  let fail!: (err: Error) => void;
  const finished = new Promise<number>((resolve, reject) => ((finish = resolve), (fail = reject)));
  red.onArrival(REJECTS, (msg) => fail(new Error(`${variant.name}: a message reached the rejects sink: ${JSON.stringify(msg.error ?? msg).slice(0, 300)}`)));
  red.onArrival(SINK, (msg) => {
    const at = now();
    lastArrival = at;
    arrived++;
    onArrival(msg, at, arrived);
    if (arrived === expected) finish(at);
  });
  const watchdog = setInterval(() => {
    if (now() - lastArrival > STALL_SECONDS) fail(new Error(`${variant.name}: ${arrived} of ${expected} messages arrived, then none for ${STALL_SECONDS} s`));
  }, 1000);
  return { send: red.driver(DRIVER), finished: finished.finally(() => clearInterval(watchdog)) };
}

/** Readings/s of one run: everything sent as fast as the runtime takes it, until the sink has `expected` messages. */
export async function throughput(red: EmbeddedNodeRed, variant: PipelineVariant, messages: DeviceMessages, expected: number): Promise<number> {
  const run = await prepareRun(red, variant, expected, () => undefined);
  const started = now();
  await driveFlat((i) => run.send({ topic: messages.topics[i], payload: messages.payloads[i] }), messages.payloads.length, BATCH);
  return messages.readings / ((await run.finished) - started);
}

export interface Latency {
  p50: number;
  p99: number;
}

/** Latency of each command at a paced `messagesPerSecond`: from when its window's closing reading was due to arrival. */
export async function latency(red: EmbeddedNodeRed, variant: PipelineVariant, messages: DeviceMessages, windows: Windows, messagesPerSecond: number): Promise<Latency> {
  const seen = new Map<string, number>();
  const latencies = new Float64Array(windows.count);
  let startedAt = 0;
  const run = await prepareRun(red, variant, windows.count, (msg, at, arrived) => {
    const device = (msg.command as { deviceId: string }).deviceId;
    const k = seen.get(device) ?? 0;
    seen.set(device, k + 1);
    const trigger = windows.triggers.get(device)?.[k];
    if (trigger === undefined) throw new Error(`${variant.name}: an unexpected message for ${device}`);
    latencies[arrived - 1] = at - (startedAt + trigger / messagesPerSecond);
  });
  startedAt = now();
  await drivePaced((i) => run.send({ topic: messages.topics[i], payload: messages.payloads[i] }), messages.payloads.length, messagesPerSecond, startedAt);
  await run.finished;
  latencies.sort();
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/**
 * Where a device message's time goes: the same workload through the first one, two and three stages of the pipeline
 * (the last stage kept sends its output 1 to the sink), alternating with the whole pipeline and the change chain;
 * time per device message (one JSON text of 4 readings), and what each stage adds, round by round.
 */
async function stageCosts(section: Section, red: EmbeddedNodeRed, [whole, change]: Array<{ variant: PipelineVariant; expected: number }>, modelPath: string, messages: DeviceMessages, windows: Windows): Promise<void> {
  // Each cut is named by its last stage; the last cut is the whole pipeline.
  const stages = ['sensor-ingest', 'feature-window', 'model-predict', 'actuator-command'];
  const cuts = stages.map((stage, i) => ({
    variant: { ...whole.variant, name: stage, flow: paletteFlow(modelPath, i + 1) },
    // sensor-ingest alone sends every reading to the sink; with the window, one message per window.
    expected: i === 0 ? messages.readings : windows.count,
  }));
  const variants = [change, ...cuts];
  const rounds = 6;
  progress(`where the time goes: the pipeline cut after each stage, ${rounds} rounds`);
  const rates = await alternate(
    variants.map(({ variant, expected }) => ({ name: variant.name, measure: () => throughput(red, variant, messages, expected) })),
    { rounds },
  );
  const perMessage = (rate: number) => SENSORS.length / rate;
  const times = Object.fromEntries(Object.entries(rates).map(([name, list]) => [name, list.map(perMessage)]));
  const changeTimes = times[change.variant.name];
  section.row('where the time goes: four change nodes, time per device message (1 JSON text of 4 readings; 5 deliveries)', '', figure(spread(changeTimes), 'seconds'));
  let previous: number[] | undefined;
  for (const [i, name] of stages.entries()) {
    const label = i === 0 ? 'sensor-ingest alone (its readings to the sink: 5 deliveries, as the change nodes)' : `+ ${name}${i === stages.length - 1 ? ' (the whole pipeline)' : ''}`;
    section.row(`${label}: time per device message (ratio: ours ÷ change nodes)`, figure(spread(times[name]), 'seconds'), figure(spread(changeTimes), 'seconds'), figure(ratios(times[name], changeTimes), 'ratio'));
    const added = times[name].map((t, round) => t - (previous ?? changeTimes)[round]);
    section.row(`  what ${name} adds${i === 0 ? ' over the change nodes' : ''}, round by round`, figure(spread(added), 'seconds'));
    previous = times[name];
  }
}

async function pipelineSection(options: BenchOptions): Promise<Section> {
  // Short runs, many rounds: on a shared machine, runs that sit close in time meet the same load.
  const seconds = options.quick ? 20 : 60;
  const rounds = options.quick ? 2 : 8;
  const section = new Section(
    'pipeline',
    '1. Pipeline throughput and 5. latency (embedded Node-RED)',
    [
      `A real Node-RED ${require('node-red/package.json').version} runtime embedded in the bench process (RED.init/RED.start, logging off, the palette`,
      'linked into a temporary user directory). A `bench-driver` node sends one JSON text per device and second of event time',
      `(${count(DEVICES)} devices × 4 sensors, ${seconds + 1} s of event time: ${count(DEVICES * (seconds + 1) * 4)} readings per run), ${BATCH} messages per turn of`,
      'the event loop, into sensor-ingest → feature-window (sliding 60 s windows every 10 s, mean/std/min/max) → model-predict',
      '(20 trees trained by the package on those features) → actuator-command; a `bench-sink` counts the commands. A run',
      'ends when the last command (for ours and (b)) or message (for (a)) reaches the sink; the last second of event time',
      'closes the last windows, so that is after every reading was handled. Each run',
      `deploys its flow afresh; ${rounds} rounds after a warm-up. Baselines in the same runtime: (a) four core \`change\` nodes;`,
      '(b) the same job in four `function` nodes (JSON.parse; per-device arrays of readings in context, filter/reduce over',
      'the window; the same forest as nested objects walked by hand; threshold → command). Per device message, ours',
      'delivers about 5.3 messages (1 into sensor-ingest, 4 readings into feature-window — one message per reading, as the',
      'contract says — and a window every 10 s through model-predict and actuator-command), (a) 5 and (b) 2.3.',
      'Latency: a paced driver offers each pipeline half of its own measured throughput (the same utilisation); latency',
      'runs from when the reading that closed a window was due to when its command reaches the sink. Windows are aligned',
      'to the epoch, so every device closes a window in the same second of event time: each 10 s brings a burst of 1,000',
      'predictions and commands, and the latency includes it.',
      ...(options.quick
        ? []
        : [
            'Where the time goes: the same workload through the pipeline cut after each stage (that stage\'s output 1 to the',
            'sink), 6 more alternating rounds with the whole pipeline and the change nodes; times per device message, and what',
            'each stage adds over the cut before it (the first: sensor-ingest over the change nodes, with as many deliveries).',
          ]),
    ].join('\n'),
  );

  const red = await EmbeddedNodeRed.start({ palette: true });
  try {
    progress('Node-RED started; training the model the pipeline serves');
    const modelPath = path.join(red.userDir, 'models', 'comfort.json');
    const model = await trainComfortModel(modelPath);
    // One more second than `seconds`: its readings close the last windows, so the last command leaves only after
    // every reading was handled. Without it the readings after the last window close were still in flight (or not
    // even sent) when the last command arrived, and ours and (b) were timed on about two thirds of their work.
    const messages = new Fleet(DEVICES, 1).messages(seconds + 1);
    const windows = windowsOf(messages);
    const ours: PipelineVariant = {
      name: 'ours',
      flow: paletteFlow(modelPath),
      ready: () => red.node<{ state(): { model?: unknown } }>(MODEL_CONFIG)?.state().model !== undefined,
    };
    const functions: PipelineVariant = { name: 'function', flow: functionFlow(model) };
    const runs = [
      { variant: ours, expected: windows.count },
      // The change nodes pass every message on; the others send a command per window.
      { variant: { name: 'change', flow: changeChainFlow() }, expected: messages.payloads.length },
      { variant: functions, expected: windows.count },
    ];

    progress(`throughput: ${count(messages.readings)} readings, ${count(windows.count)} commands per run, ${rounds} rounds`);
    const rates = await alternate(
      runs.map(({ variant, expected }) => ({ name: variant.name, measure: () => throughput(red, variant, messages, expected) })),
      { rounds },
    );
    const readingsPerSecond = (samples: number[]) => `${figure(spread(samples), 'rate')} readings`;
    const vsChange = ratios(rates.ours, rates.change);
    const vsFunction = ratios(rates.ours, rates.function);
    section.row('throughput of sensor-ingest → feature-window → model-predict → actuator-command vs (a) four change nodes', readingsPerSecond(rates.ours), readingsPerSecond(rates.change), figure(vsChange, 'ratio'));
    section.row('throughput vs (b) the same job in four function nodes', readingsPerSecond(rates.ours), readingsPerSecond(rates.function), figure(vsFunction, 'ratio'));
    section.goal('pipeline throughput vs four change nodes', '≥ 0.5×', figure(vsChange, 'ratio'), vsChange.median >= 0.5);
    section.goal('pipeline throughput vs function nodes', '≥ 2×', figure(vsFunction, 'ratio'), vsFunction.median >= 2);
    if (!options.quick) await stageCosts(section, red, runs.slice(0, 2), modelPath, messages, windows);

    // 5. Latency at half of our median throughput; the function nodes at half of theirs (the same utilisation:
    // at half of ours they would be near or past their own maximum, where a queue only grows).
    const latencySeconds = options.quick ? 20 : 60;
    const paced = new Fleet(DEVICES, 3).messages(latencySeconds);
    const pacedWindows = windowsOf(paced);
    const offered = { ours: spread(rates.ours).median / 2, function: spread(rates.function).median / 2 };
    const variants = [
      { variant: ours, perSecond: offered.ours / SENSORS.length },
      { variant: functions, perSecond: offered.function / SENSORS.length },
    ];
    progress(`latency: ${count(paced.readings)} readings per run, offered ${format(offered.ours, 'rate')} readings to ours, ${format(offered.function, 'rate')} to the function nodes`);
    const latencies = await alternate(
      variants.map(({ variant, perSecond }) => ({ name: variant.name, measure: () => latency(red, variant, paced, pacedWindows, perSecond) })),
      // The throughput runs warmed everything up.
      { rounds: options.quick ? 1 : 3, warmUp: 0 },
    );
    for (const percentile of ['p50', 'p99'] as const) {
      const oursFigure = latencies.ours.map((l) => l[percentile]);
      const functionFigure = latencies.function.map((l) => l[percentile]);
      section.row(
        `${percentile} latency reading → command at half the maximum: ours at ${format(offered.ours, 'rate')}, (b) at ${format(offered.function, 'rate')} readings (ratio: ours ÷ (b))`,
        figure(spread(oursFigure), 'seconds'),
        figure(spread(functionFigure), 'seconds'),
        figure(ratios(oursFigure, functionFigure), 'ratio'),
      );
    }
    return section;
  } finally {
    await red.stop();
  }
}

if (require.main === module) runSection(pipelineSection);
