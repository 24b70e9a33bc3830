/**
 * 9. The batch path (issue 19), in a real Node-RED runtime embedded in this process: the pipeline bench's workload
 * (bench/pipeline.ts) through sensor-ingest (output batch) → feature-window (output batch) → model-predict →
 * actuator-command, one message per device payload from ingest to the commands, against the per-reading pipeline
 * (the default, `each`), (a) four core change nodes and (b) the same job in four function nodes, in alternating rounds.
 * Latency: both pipelines offered the same rate, half of the per-reading pipeline's measured maximum.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Fleet, SENSORS, type DeviceMessages } from './lib/data';
import { changeChainFlow, functionFlow, MODEL_CONFIG, MQTT_BROKER, paletteFlow, REJECTS, SINK } from './lib/flows';
import { count, figure, format, progress, runSection, Section, type BenchOptions } from './lib/report';
import { EmbeddedNodeRed, now } from './lib/runtime';
import { alternate, ratios, spread } from './lib/timing';
import { latency, throughput, trainComfortModel, windowsOf, type PipelineVariant } from './pipeline';

const DEVICES = 1000;
const MOSQUITTO = '/usr/sbin/mosquitto';
/** A broker-fed run that gets nothing at its sink for this long lost messages: stop with what is known. */
const STALL_SECONDS = 30;

interface Broker {
  port: number;
  close(): Promise<void>;
}

/** Debian's mosquitto on a free loopback port, queues unbounded (a slow subscriber gets every message). */
async function startMosquitto(): Promise<Broker> {
  const port = await new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as net.AddressInfo;
      server.close(() => resolve(free));
    });
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-bench-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n`);
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error('mosquitto did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The device fleet as an MQTT client process of its own (bench/lib/publisher.js). */
async function startPublisher(url: string, messages: DeviceMessages): Promise<{ go(): Promise<void>; close(): Promise<void> }> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-bench-fleet-')), 'messages.json');
  fs.writeFileSync(file, JSON.stringify({ topics: messages.topics.map((t) => `bench/${t}`), payloads: messages.payloads }));
  const child: ChildProcess = fork(path.join(__dirname, 'lib', 'publisher.js'), [url, file], { stdio: 'inherit' });
  const waitFor = (kind: string) => new Promise<void>((resolve) => {
    const listener = (message: { kind: string }) => {
      if (message.kind !== kind) return;
      child.off('message', listener);
      resolve();
    };
    child.on('message', listener);
  });
  await waitFor('ready');
  return {
    go: () => {
      const published = waitFor('published');
      child.send({ kind: 'go' });
      return published;
    },
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ kind: 'exit' });
      await exited;
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    },
  };
}

/**
 * Readings/s of one broker-fed run: the flow deployed afresh and subscribed, then the publisher sends every device
 * message; timed from its start to the last expected arrival at the sink.
 */
async function throughputViaBroker(red: EmbeddedNodeRed, variant: PipelineVariant, publisher: { go(): Promise<void> }, messages: DeviceMessages, expected: number): Promise<number> {
  await red.deploy([]);
  await red.deploy(variant.flow, () => (variant.ready?.() ?? true) && red.node<{ connected?: boolean }>(MQTT_BROKER)?.connected === true);
  // The subscription goes out on connect; its acknowledgement is a round trip later.
  await new Promise((r) => setTimeout(r, 500));
  let arrived = 0;
  let lastArrival = now();
  let finish!: (at: number) => void;
  let fail!: (err: Error) => void;
  const finished = new Promise<number>((resolve, reject) => ((finish = resolve), (fail = reject)));
  red.onArrival(REJECTS, (msg) => fail(new Error(`${variant.name}: a message reached the rejects sink: ${JSON.stringify(msg.error ?? msg).slice(0, 300)}`)));
  red.onArrival(SINK, () => {
    lastArrival = now();
    if (++arrived === expected) finish(lastArrival);
  });
  const watchdog = setInterval(() => {
    if (now() - lastArrival > STALL_SECONDS) fail(new Error(`${variant.name}: ${arrived} of ${expected} messages arrived, then none for ${STALL_SECONDS} s`));
  }, 1000);
  try {
    const started = now();
    lastArrival = started;
    await publisher.go();
    return messages.readings / ((await finished) - started);
  } finally {
    clearInterval(watchdog);
  }
}

async function batchSection(options: BenchOptions): Promise<Section> {
  const seconds = options.quick ? 20 : 60;
  const rounds = options.quick ? 2 : 8;
  const section = new Section(
    'batch',
    '9. The batch path (embedded Node-RED)',
    [
      'The workload of section 1 (one JSON text per device and second of event time, 1,000 devices × 4 sensors,',
      `${seconds + 1} s of event time: ${count(DEVICES * (seconds + 1) * 4)} readings per run) through the batch path: sensor-ingest with`,
      '`output: batch` (one message per device payload, `msg.payload` its 4 readings) → feature-window with `output: batch`',
      '(the windows one payload closed as one message) → model-predict (predicts each window of the array) →',
      'actuator-command (each command its own message to the sink, as a device receives it). Per device message the',
      'batch path delivers about 1.3 messages (1 into sensor-ingest, 1 into feature-window, and every 10 s one into',
      'model-predict and actuator-command) where the per-reading pipeline delivers 5.3 and (a) 5. Same runtime, same',
      `rounds: the batch pipeline, the per-reading pipeline of section 1, (a) four core \`change\` nodes and (b) the four`,
      `\`function\` nodes, ${rounds} alternating rounds after a warm-up, each run on a fresh deployment.`,
      'Latency: a paced driver offers both pipelines the same rate, half of the per-reading pipeline\'s median maximum;',
      'from when the reading that closed a window was due to when its command reaches the sink.',
      'Through a broker (the figure users get in production): a client process publishes the same device messages (QoS 0,',
      'as fast as its connection takes them) to Debian\'s mosquitto on loopback, and a core `mqtt in` (text payloads) feeds',
      'the batch pipeline, or the four change nodes; each run from the first publish to the last arrival at the sink. The',
      'change nodes fed by the in-process driver run in the same rounds: what the broker path adds to them per device',
      'message is the broker\'s share.',
    ].join('\n'),
  );

  const red = await EmbeddedNodeRed.start({ palette: true });
  try {
    progress('Node-RED started; training the model the pipelines serve');
    const modelPath = path.join(red.userDir, 'models', 'comfort.json');
    const model = await trainComfortModel(modelPath);
    const messages = new Fleet(DEVICES, 1).messages(seconds + 1);
    const windows = windowsOf(messages);
    const ready = () => red.node<{ state(): { model?: unknown } }>(MODEL_CONFIG)?.state().model !== undefined;
    const batch: PipelineVariant = { name: 'batch', flow: paletteFlow(modelPath, 4, { batch: true }), ready };
    const each: PipelineVariant = { name: 'each', flow: paletteFlow(modelPath), ready };
    const runs = [
      { variant: batch, expected: windows.count },
      { variant: each, expected: windows.count },
      { variant: { name: 'change', flow: changeChainFlow() }, expected: messages.payloads.length },
      { variant: { name: 'function', flow: functionFlow(model) }, expected: windows.count },
    ];
    progress(`throughput: ${count(messages.readings)} readings, ${count(windows.count)} commands per run, ${rounds} rounds`);
    const rates = await alternate(
      runs.map(({ variant, expected }) => ({ name: variant.name, measure: () => throughput(red, variant, messages, expected) })),
      { rounds },
    );
    const readings = (samples: number[]) => `${figure(spread(samples), 'rate')} readings`;
    const vsChange = ratios(rates.batch, rates.change);
    const vsFunction = ratios(rates.batch, rates.function);
    const vsEach = ratios(rates.batch, rates.each);
    const eachVsChange = ratios(rates.each, rates.change);
    const eachVsFunction = ratios(rates.each, rates.function);
    section.row('throughput of the batch pipeline (ingest batch → window batch → predict → actuator) vs (a) four change nodes', readings(rates.batch), readings(rates.change), figure(vsChange, 'ratio'));
    section.row('throughput of the batch pipeline vs (b) the same job in four function nodes', readings(rates.batch), readings(rates.function), figure(vsFunction, 'ratio'));
    section.row('throughput of the batch pipeline vs the per-reading pipeline (output each, the default)', readings(rates.batch), readings(rates.each), figure(vsEach, 'ratio'));
    section.row('the per-reading pipeline in the same rounds vs (a) four change nodes', readings(rates.each), readings(rates.change), figure(eachVsChange, 'ratio'));
    section.row('the per-reading pipeline in the same rounds vs (b) the four function nodes', readings(rates.each), readings(rates.function), figure(eachVsFunction, 'ratio'));
    section.goal('batch pipeline throughput vs four change nodes', '≥ 1.0×', figure(vsChange, 'ratio'), vsChange.median >= 1);
    section.goal('batch pipeline throughput vs function nodes', '≥ 5×', figure(vsFunction, 'ratio'), vsFunction.median >= 5);

    // Latency: the same offered rate for both, half of the per-reading pipeline's maximum.
    const latencySeconds = options.quick ? 20 : 60;
    const paced = new Fleet(DEVICES, 3).messages(latencySeconds);
    const pacedWindows = windowsOf(paced);
    const offered = spread(rates.each).median / 2;
    progress(`latency: ${count(paced.readings)} readings per run, both offered ${format(offered, 'rate')} readings`);
    const latencies = await alternate(
      [batch, each].map((variant) => ({ name: variant.name, measure: () => latency(red, variant, paced, pacedWindows, offered / SENSORS.length) })),
      { rounds: options.quick ? 1 : 3, warmUp: 0 },
    );
    for (const percentile of ['p50', 'p99'] as const) {
      const batchFigure = latencies.batch.map((l) => l[percentile]);
      const eachFigure = latencies.each.map((l) => l[percentile]);
      const ratio = ratios(batchFigure, eachFigure);
      section.row(
        `${percentile} latency reading → command, both at ${format(offered, 'rate')} readings (half the per-reading maximum; ratio: batch ÷ per-reading)`,
        figure(spread(batchFigure), 'seconds'),
        figure(spread(eachFigure), 'seconds'),
        figure(ratio, 'ratio'),
      );
      if (percentile === 'p99') section.goal('batch p99 latency at half the maximum vs the per-reading path', '≤ 1.0×', figure(ratio, 'ratio'), ratio.median <= 1);
    }
    section.note(
      'with 1.3 deliveries per device message instead of 5.3, what is left is the palette\'s own work (parse and normalise the JSON text, window its readings), its garbage and Node-RED\'s deliveries; through a broker, the broker path (client, mosquitto, mqtt in) takes most of each device message\'s time.',
    );
    if (fs.existsSync(MOSQUITTO)) await brokerRows(section, red, options, modelPath, messages, windows.count);
    else section.note(`the broker-fed rows need Debian's mosquitto (${MOSQUITTO}: apt-get install -y mosquitto); not measured`);
    return section;
  } finally {
    await red.stop();
  }
}

/**
 * The same workload through a real broker: an MQTT client process publishes one JSON message per device and second
 * to Debian's mosquitto, and a core `mqtt in` feeds the batch pipeline, or four change nodes; the change nodes fed
 * by the in-process driver in the same rounds give the broker's share.
 */
async function brokerRows(section: Section, red: EmbeddedNodeRed, options: BenchOptions, modelPath: string, messages: DeviceMessages, windows: number): Promise<void> {
  const rounds = options.quick ? 2 : 5;
  const broker = await startMosquitto();
  const publisher = await startPublisher(`mqtt://127.0.0.1:${broker.port}`, messages);
  try {
    const ready = () => red.node<{ state(): { model?: unknown } }>(MODEL_CONFIG)?.state().model !== undefined;
    const batchMqtt: PipelineVariant = { name: 'batchMqtt', flow: paletteFlow(modelPath, 4, { batch: true, brokerPort: broker.port }), ready };
    const changeMqtt: PipelineVariant = { name: 'changeMqtt', flow: changeChainFlow({ brokerPort: broker.port }) };
    const changeDriver: PipelineVariant = { name: 'changeDriver', flow: changeChainFlow() };
    progress(`through mosquitto: ${count(messages.payloads.length)} MQTT messages per run from a publisher process, ${rounds} rounds`);
    const rates = await alternate(
      [
        { name: batchMqtt.name, measure: () => throughputViaBroker(red, batchMqtt, publisher, messages, windows) },
        { name: changeMqtt.name, measure: () => throughputViaBroker(red, changeMqtt, publisher, messages, messages.payloads.length) },
        { name: changeDriver.name, measure: () => throughput(red, changeDriver, messages, messages.payloads.length) },
      ],
      { rounds },
    );
    const readings = (samples: number[]) => `${figure(spread(samples), 'rate')} readings`;
    const vsChange = ratios(rates.batchMqtt, rates.changeMqtt);
    section.row('through mosquitto (mqtt in, one JSON message per device and second from a client process): the batch pipeline vs four change nodes fed the same way', readings(rates.batchMqtt), readings(rates.changeMqtt), figure(vsChange, 'ratio'));
    const perMessage = (rate: number) => SENSORS.length / rate;
    // The broker's share: what the broker path (client, mosquitto, mqtt in) adds per device message to the change
    // nodes, against the batch pipeline's whole time per device message through the broker, round by round.
    const brokerTime = rates.changeMqtt.map((rate, round) => perMessage(rate) - perMessage(rates.changeDriver[round]));
    const share = brokerTime.map((time, round) => time / perMessage(rates.batchMqtt[round]));
    section.row('  the broker path (client, mosquitto, mqtt in) per device message: change nodes through mosquitto less change nodes fed in process', figure(spread(brokerTime), 'seconds'), figure(spread(rates.changeDriver.map(perMessage)), 'seconds'));
    section.row('  the broker\'s share of the batch pipeline\'s time per device message through mosquitto', `${(spread(share).median * 100).toFixed(0)} % (${(spread(share).min * 100).toFixed(0)}–${(spread(share).max * 100).toFixed(0)})`);
  } finally {
    await publisher.close();
    await broker.close();
  }
}

if (require.main === module) runSection(batchSection);
