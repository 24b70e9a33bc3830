import { createScenario, parseSimConfig, SIM_BUDGET, type CommandResult, type RawSimConfig, type SimReading, type Simulation, type StepBudget } from '../../core/sim';
import type { DoneFn, Node, NodeDef, NodeMessage, RED, SendFn } from '../shared/red';
import { StatusReporter, countsText } from '../shared/status';
import { migrateConfig } from '../shared/migrations';
import { readNodeConfig } from '../shared/config';

/** The shortest wait between two timer runs; at high speed several readings then go out together. */
const MIN_TICK_MS = 10;
/** The longest single wait (a long interval is waited for in steps). */
const MAX_TICK_MS = 60 * 60 * 1000;
/** What one timer run may send (docs/reliability.md, "Bounded work per config"). */
const TICK_BUDGET: StepBudget = { maxReadings: SIM_BUDGET.readingsPerTick, maxLagMs: SIM_BUDGET.maxLagMs };

/** Node-RED glue for sensor-sim: start/stop and device commands in; readings, replies and states out. */
export = function register(RED: RED): void {
  function SensorSimNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    // A flow saved before a property existed: it takes the value it had then (shared/migrations.ts).
    def = migrateConfig(def);
    const node = this;
    const parsed = parseSimConfig(def as RawSimConfig, { live: true });
    const counts = { readings: 0, commands: 0, refused: 0, skipped: 0 };
    let running = false;
    const status = new StatusReporter(node, () => {
      const text = countsText([
        [counts.readings, RED._('sensor-sim.status.readings')],
        [counts.commands, RED._('sensor-sim.status.commands')],
        [counts.refused, RED._('sensor-sim.status.refused')],
        [counts.skipped, RED._('sensor-sim.status.skipped')],
      ]);
      return running
        ? { fill: 'green', shape: 'dot', text }
        : { fill: 'grey', shape: 'ring', text: `${RED._('sensor-sim.status.stopped')} · ${text}` };
    });

    const config = readNodeConfig(node, parsed, RED._('sensor-sim.errors.config'));
    if (config === undefined) return;
    const origin = Date.now();
    const sim: Simulation = createScenario(config.scenario, {
      devices: config.devices,
      seed: config.seed,
      interval: config.interval,
      format: config.format,
      speed: config.speed,
      startTime: config.startTime ?? origin,
      origin,
      faults: config.faults,
      anomalies: config.anomalies,
      people: config.people,
    });
    let timer: NodeJS.Timeout | undefined;

    const emitReadings = (readings: SimReading[]) => {
      const messages: NodeMessage[] = [];
      for (const reading of readings) {
        if (reading.payload === undefined) continue; // offline: the device sends nothing
        const msg: NodeMessage = { topic: reading.topic, payload: reading.payload, truth: reading.truth };
        if (reading.malformed !== undefined) msg.malformed = reading.malformed;
        messages.push(msg);
      }
      counts.readings += messages.length;
      // People on: what they did to the devices, as the devices report it (the cause in msg.truth).
      for (const report of sim.people ? sim.takeStateReports() : []) messages.push({ topic: report.topic, payload: report.payload, truth: report.truth });
      if (messages.length > 0) node.send([messages]);
      status.update();
    };

    const schedule = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (!running) return;
      const wait = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, sim.wallDelay(Date.now())));
      timer = setTimeout(() => {
        timer = undefined;
        try {
          const readings = sim.step(Date.now(), TICK_BUDGET);
          counts.skipped = sim.skipped;
          emitReadings(readings);
        } catch (err) {
          node.error(err);
        }
        schedule();
      }, wait);
    };

    const start = () => {
      if (running) return;
      running = true;
      // Readings the devices would have sent while stopped are not made up afterwards.
      sim.resync(Date.now());
      schedule();
      status.update();
    };

    const stop = () => {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      status.update();
    };

    const answer = (result: Extract<CommandResult, { handled: true }>, send: SendFn) => {
      counts.commands++;
      if (!result.ok) counts.refused++;
      const messages: NodeMessage[] = result.replies.map((reply) => {
        const msg: NodeMessage = { topic: reply.topic, payload: reply.payload };
        if (reply.correlationData !== undefined) msg.correlationData = reply.correlationData;
        return msg;
      });
      // With no reply asked for, the device reports its new state, as Zigbee2MQTT, Tasmota or Shelly devices do.
      if (messages.length === 0 && result.state) messages.push({ topic: result.state.topic, payload: result.state.payload });
      if (messages.length === 0 && !result.ok) {
        node.warn(RED._('sensor-sim.warn.refused', { device: result.deviceId, detail: result.detail ?? '' }));
      }
      if (messages.length > 0) send([messages]);
      status.update();
    };

    node.on('input', (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      try {
        const topic = typeof msg.topic === 'string' ? msg.topic.trim() : '';
        const result = topic === '' ? undefined : sim.command(topic, msg.payload, { responseTopic: stringOrUndefined(msg.responseTopic), correlationData: msg.correlationData });
        if (result?.handled) {
          answer(result, send);
        } else if (result?.reason === 'unknown-device') {
          node.warn(RED._('sensor-sim.warn.unknownDevice', { topic, devices: sim.deviceIds.join(', ') }));
        } else {
          const control = controlOf(topic) ?? controlOf(msg.payload);
          if (control === 'start') start();
          else if (control === 'stop') stop();
          else node.warn(RED._('sensor-sim.warn.ignored', { topic: topic || '-', scenario: config.scenario }));
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    });

    node.on('close', (_removed, done) => {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      status.close();
      done();
    });

    if (config.autostart) start();
    else status.update();
  }
  RED.nodes.registerType('sensor-sim', SensorSimNode);
};

function controlOf(value: unknown): 'start' | 'stop' | undefined {
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  return word === 'start' || word === 'stop' ? word : undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
