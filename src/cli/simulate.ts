/**
 * `iot-ai simulate`: the sensor-sim devices on an MQTT broker (readings, truth, commands obeyed and
 * acknowledged), or their readings with the truth in a wide CSV for `iot-ai train --window`.
 *
 * Exit codes: 0 done, 1 broker or file trouble, 2 bad command line.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import mqtt from 'mqtt';
import { formatCsv } from '../core/model/data/csv';
import {
  SCENARIOS,
  createScenario,
  deviceTopics,
  parseSimConfig,
  SIM_BUDGET,
  wideHeader,
  wideRow,
  type SimConfig,
  type SimReading,
  type Simulation,
} from '../core/sim';
import { type CliIO, parseFlags, readCommandLine, UsageError } from './args';

export const SIMULATE_USAGE = `Usage: iot-ai simulate --scenario home|city|health (--broker URL | --csv FILE) [options]

Simulated devices with their ground truth: on an MQTT broker they publish readings, publish the truth beside
them and obey and acknowledge commands; with --csv they write readings and truth in wide form
(deviceId,ts,<sensor>...,truth.<name>...) for "iot-ai train --window".

Options:
  --scenario S        home (occupancy), city (congestion, airQuality) or health (activity, abnormal)
  --broker URL        e.g. mqtt://localhost:1883 (user:password@ in the URL if needed)
  --csv FILE          write a CSV instead (- for stdout); no broker
  --devices N         simulated devices (default 3)
  --interval MS       ms of simulated time between two reports of a device (default 5000)
  --seed N            the same seed gives the same reports (default 1)
  --format F          senml (default) or json: the payloads on the broker
  --duration S        broker: seconds of wall time, then stop (default: until Ctrl-C)
                      csv: seconds of simulated time (default 86400, one day)
  --speed X           broker: simulated time runs X times as fast as the clock (default 1)
  --start TIME        simulated start, ISO 8601 (UTC unless a zone is given) or epoch ms
                      (default: now on a broker, 2024-06-03T00:00:00Z for a CSV)
  --protocol 4|5      MQTT protocol version (default: 5, or 3.1.1 when the broker refuses 5)
  --no-faults         no broken payloads, dropouts or outages
  --anomalies SHARE   inject sensor faults with their truth in this expected share of device
                      time, 0 to 0.5 (default 0, off; e.g. 0.02): spikes, stuck sensors and drifts
                      of minutes to hours (health: also tachycardia at rest); adds the columns
                      truth.anomaly (true/false), truth.anomalyKind and truth.anomalySensor
  --people            broker only: people with hidden, seeded preferences (home: occupants, city: an
                      operator, health: a clinician) who override commands they dislike, after a
                      delay and not every time; each override is the device's new state on
                      <scenario>/<deviceId>/state with its cause on <scenario>/<deviceId>/truth
                      ({ deviceId, ts, override: { person, cause, field, automatic, chosen, delay } }).
                      Not with --csv: a CSV run sends no commands, so nobody would override anything
  -h, --help          this text

Topics (broker): reports <scenario>/<deviceId>/sensors, truth <scenario>/<deviceId>/truth,
commands <scenario>/<deviceId>/set, state <scenario>/<deviceId>/state. A command with correlationId and
replyTo is answered { correlationId, ok, detail? } on replyTo; an MQTT 5 command with a response topic is
answered { ok, detail? } there with its correlation data.
`;

/** The simulated day a CSV starts at unless --start says otherwise (a Monday), so a seed always gives one file. */
export const CSV_DEFAULT_START = Date.UTC(2024, 5, 3);
const CSV_DEFAULT_DURATION_S = 86400;

export interface SimulateOptions {
  /** Ends a broker run early (as Ctrl-C does). */
  signal?: AbortSignal;
}

interface SimulateArguments {
  config: SimConfig;
  broker?: string;
  csv?: string;
  durationS?: number;
  protocol?: 4 | 5;
}

const VALUE_FLAGS = ['scenario', 'broker', 'csv', 'devices', 'interval', 'seed', 'format', 'duration', 'speed', 'start', 'protocol', 'anomalies'];
const SWITCHES = ['no-faults', 'people'];

function parseArguments(argv: readonly string[]): SimulateArguments | 'help' {
  const flags = parseFlags(argv, { values: VALUE_FLAGS, switches: SWITCHES });
  if (flags === 'help') return 'help';

  const scenario = flags.get('scenario');
  if (scenario === undefined) throw new UsageError(`--scenario is required (${SCENARIOS.join(', ')})`);
  const broker = flags.get('broker');
  const csv = flags.get('csv');
  if (broker === undefined && csv === undefined) throw new UsageError('give --broker URL to publish, or --csv FILE to write a CSV');
  if (broker !== undefined && csv !== undefined) throw new UsageError('give either --broker or --csv, not both');
  if (broker === '' || csv === '') throw new UsageError(`--${broker === '' ? 'broker' : 'csv'} needs a value`);
  // People override commands only; a CSV run has none, so --people would silently change nothing.
  if (flags.switch('people') && csv !== undefined) {
    throw new UsageError('--people needs commands to override: use it with --broker (a --csv run sends no commands, so its rows would be the same)');
  }

  const parsed = parseSimConfig({
    scenario,
    devices: flags.get('devices'),
    interval: flags.get('interval'),
    seed: flags.get('seed'),
    format: flags.get('format'),
    speed: flags.get('speed'),
    startTime: flags.get('start'),
    faults: !flags.switch('no-faults'),
    anomalies: flags.get('anomalies'),
    people: flags.switch('people'),
    // On a broker it runs on the clock, bounded like the sensor-sim node; a CSV is written as fast as it can be.
  }, { live: broker !== undefined });
  if (!parsed.ok) throw new UsageError(parsed.error.replace(/\b(devices|interval|seed|format|speed|scenario|anomalies) must/g, '--$1 must').replace('startTime must', '--start must'));

  let durationS: number | undefined;
  const durationText = flags.get('duration');
  if (durationText !== undefined) {
    durationS = Number(durationText);
    if (!(durationText.trim() !== '' && Number.isFinite(durationS) && durationS > 0)) {
      throw new UsageError(`--duration must be a number of seconds above 0, got ${JSON.stringify(durationText)}`);
    }
  }
  let protocol: 4 | 5 | undefined;
  const protocolText = flags.get('protocol');
  if (protocolText !== undefined) {
    if (protocolText !== '4' && protocolText !== '5') throw new UsageError(`--protocol must be 4 (MQTT 3.1.1) or 5, got ${JSON.stringify(protocolText)}`);
    protocol = protocolText === '5' ? 5 : 4;
  }
  return { config: parsed.config, broker, csv, durationS, protocol };
}

export async function runSimulate(argv: string[], io: CliIO, options: SimulateOptions = {}): Promise<number> {
  const args = readCommandLine('simulate', SIMULATE_USAGE, io, () => parseArguments(argv));
  if (typeof args === 'number') return args;
  if (args.csv !== undefined) return writeCsv(args, args.csv, io);
  return runOnBroker(args, args.broker!, io, options);
}

function scenarioFor(config: SimConfig, startTime: number, origin: number): Simulation {
  return createScenario(config.scenario, {
    devices: config.devices,
    seed: config.seed,
    interval: config.interval,
    format: config.format,
    speed: config.speed,
    startTime,
    origin,
    faults: config.faults,
    anomalies: config.anomalies,
    people: config.people,
  });
}

/** Simulated time as fast as it goes, one row per device per interval, written an hour of simulated time at a time. */
async function writeCsv(args: SimulateArguments, file: string, io: CliIO): Promise<number> {
  const { config } = args;
  const start = config.startTime ?? CSV_DEFAULT_START;
  const durationMs = Math.round((args.durationS ?? CSV_DEFAULT_DURATION_S) * 1000);
  const sim = scenarioFor(config, start, start);
  const toStdout = file === '-';
  const stream = toStdout ? undefined : createWriteStream(file);
  let failure: Error | undefined;
  stream?.on('error', (err: Error) => (failure ??= err));
  const opened = stream ? once(stream, 'open') : Promise.resolve();
  const write = async (text: string) => {
    if (!stream) {
      io.stdout.write(text);
      return;
    }
    if (failure) throw failure;
    if (!stream.write(text)) await once(stream, 'drain');
  };

  let rows = 0;
  let skipped = 0;
  try {
    await opened;
    await write(formatCsv([wideHeader(sim)]));
    const end = start + durationMs;
    const chunk = Math.max(sim.interval, 3600 * 1000);
    for (let from = start; from < end; from += chunk) {
      const readings = sim.advanceTo(Math.min(end, from + chunk) - 1);
      const records = [];
      for (const reading of readings) {
        const row = wideRow(sim, reading);
        if (row) records.push(row);
        else skipped++;
      }
      rows += records.length;
      if (records.length > 0) await write(formatCsv(records));
    }
    if (stream) await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } catch (err) {
    stream?.destroy();
    io.stderr.write(`iot-ai simulate: cannot write ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const summary =
    `Wrote ${rows} rows of ${sim.deviceIds.length} ${config.scenario} device(s) (${sim.deviceIds.join(', ')}): ` +
    `${durationMs / 1000} s of simulated time from ${new Date(start).toISOString()}, every ${sim.interval} ms` +
    `${skipped > 0 ? `; ${skipped} broken payload(s) left out` : ''}; truth columns ${sim.truthNames.map((n) => `truth.${n}`).join(', ')}` +
    `${toStdout ? '' : ` -> ${file}`}\n`;
  (toStdout ? io.stderr : io.stdout).write(summary);
  return 0;
}

interface Connection {
  client: mqtt.MqttClient;
  protocol: 4 | 5;
}

async function connect(url: string, protocol: 4 | 5 | undefined): Promise<Connection> {
  const options = (version: 4 | 5): mqtt.IClientOptions => ({
    protocolVersion: version,
    clientId: `iot-ai-sim-${Math.random().toString(16).slice(2, 10)}`,
    connectTimeout: 10_000,
    reconnectPeriod: 1000,
  });
  try {
    return { client: await mqtt.connectAsync(url, options(protocol ?? 5), false), protocol: protocol ?? 5 };
  } catch (err) {
    // "Unacceptable protocol version": a broker without MQTT 5 (aedes, older mosquitto).
    if (protocol === undefined && (err as { code?: number }).code === 1) {
      return { client: await mqtt.connectAsync(url, options(4), false), protocol: 4 };
    }
    throw err;
  }
}

/** Readings on the wall clock (times speed) until --duration, Ctrl-C or the abort signal. */
async function runOnBroker(args: SimulateArguments, url: string, io: CliIO, options: SimulateOptions): Promise<number> {
  const { config } = args;
  let connection: Connection;
  try {
    connection = await connect(url, args.protocol);
  } catch (err) {
    io.stderr.write(`iot-ai simulate: cannot connect to ${url}: ${(err as Error).message}\n`);
    return 1;
  }
  const { client } = connection;
  let lastProblem = '';
  const problem = (text: string) => {
    if (text !== lastProblem) io.stderr.write(`iot-ai simulate: ${text}\n`);
    lastProblem = text;
  };
  client.on('error', (err) => problem(err.message));
  client.on('offline', () => problem(`lost the connection to ${url}; reconnecting`));
  client.on('connect', () => (lastProblem = ''));
  const origin = Date.now();
  const sim = scenarioFor(config, config.startTime ?? origin, origin);
  const counts = { readings: 0, commands: 0, refused: 0, overrides: 0 };
  const publish = (topic: string, payload: unknown, publishOptions: mqtt.IClientPublishOptions = {}) => {
    client.publish(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), publishOptions, (err) => {
      if (err) problem(`publish failed: ${err.message}`);
    });
  };
  const publishReadings = (readings: SimReading[]) => {
    for (const reading of readings) {
      if (reading.payload === undefined) continue;
      publish(reading.topic, reading.payload);
      publish(deviceTopics(sim.scenario, reading.deviceId).truth, { deviceId: reading.deviceId, ts: reading.ts, ...reading.truth });
      counts.readings++;
    }
    // People on: what they did to the devices, as the devices report it, and its cause beside the readings' truth.
    for (const report of sim.people ? sim.takeStateReports() : []) {
      publish(report.topic, report.payload);
      publish(deviceTopics(sim.scenario, report.deviceId).truth, { deviceId: report.deviceId, ts: report.ts, ...report.truth });
      const override = report.truth.override;
      if (override === undefined) continue;
      counts.overrides++;
      io.stdout.write(`${report.topic} ${JSON.stringify(report.payload)} <- ${override.person}: ${override.field} ${override.automatic} -> ${override.chosen} (${override.cause})\n`);
    }
  };

  client.on('message', (topic, payload, packet) => {
    const properties = packet.properties ?? {};
    const result = sim.command(topic, payload, { responseTopic: properties.responseTopic, correlationData: properties.correlationData });
    if (!result.handled) {
      if (result.reason === 'unknown-device') problem(result.message);
      return;
    }
    counts.commands++;
    if (!result.ok) counts.refused++;
    for (const reply of result.replies) {
      if (reply.kind === 'mqtt5') {
        if (connection.protocol === 5) publish(reply.topic, reply.payload, { properties: { correlationData: toBuffer(reply.correlationData) } });
      } else {
        publish(reply.topic, reply.payload);
      }
    }
    if (result.state) publish(result.state.topic, result.state.payload);
    io.stdout.write(`${topic} ${payload.toString('utf8')} -> ${result.ok ? 'ok' : `refused: ${result.detail}`}\n`);
  });

  try {
    await client.subscribeAsync(`${sim.scenario}/+/set`);
  } catch (err) {
    io.stderr.write(`iot-ai simulate: cannot subscribe to ${sim.scenario}/+/set: ${(err as Error).message}\n`);
    await client.endAsync(true);
    return 1;
  }
  io.stdout.write(
    `Simulating ${sim.deviceIds.length} ${sim.scenario} device(s) (${sim.deviceIds.join(', ')}) every ${sim.interval} ms` +
      `${sim.speed === 1 ? '' : ` at ${sim.speed}x`} on ${url} (MQTT ${connection.protocol === 5 ? '5' : '3.1.1'}).\n` +
      `Readings on ${sim.scenario}/<device>/sensors, truth on ${sim.scenario}/<device>/truth, commands on ${sim.scenario}/<device>/set, ` +
      `state on ${sim.scenario}/<device>/state${sim.people ? ' (people\'s overrides too, their cause on the truth topic)' : ''}. ${args.durationS === undefined ? 'Ctrl-C stops.' : `Stops after ${args.durationS} s.`}\n`,
  );

  let timer: NodeJS.Timeout | undefined;
  let durationTimer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      if (durationTimer) clearTimeout(durationTimer);
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      options.signal?.removeEventListener('abort', finish);
      resolve();
    };
    const tick = () => {
      publishReadings(sim.step(Date.now(), { maxReadings: SIM_BUDGET.readingsPerTick, maxLagMs: SIM_BUDGET.maxLagMs }));
      timer = setTimeout(tick, Math.min(60_000, Math.max(10, sim.wallDelay(Date.now()))));
    };
    if (args.durationS !== undefined) durationTimer = setTimeout(finish, args.durationS * 1000);
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    options.signal?.addEventListener('abort', finish);
    if (options.signal?.aborted) finish();
    else tick();
  });

  await (client.connected ? client.endAsync() : client.endAsync(true));
  const skipped = sim.skipped > 0 ? `, ${sim.skipped} skipped (late)` : '';
  const overridden = sim.people ? `; ${counts.overrides} overridden by people` : '';
  io.stdout.write(`Published ${counts.readings} reports${skipped}; ${counts.commands} command(s), ${counts.refused} refused${overridden}.\n`);
  return 0;
}

function toBuffer(data: unknown): Buffer | undefined {
  if (data === undefined || data === null) return undefined;
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data);
  return Buffer.from(String(data), 'utf8');
}
