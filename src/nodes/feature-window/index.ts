import {
  assembleWindowState,
  MAX_READINGS_PER_MESSAGE,
  parseWindowConfig,
  WindowEngine,
  WindowStateSlices,
  type WindowEvent,
  type WindowPayload,
} from '../../core/window';
import { createClock, type Clock } from '../../core/util/clock';
import { batchMessage, rejectMessage, sendEach } from '../shared/messages';
import { SlicedPersistedState } from '../shared/persist';
import type { DoneFn, Node, NodeDef, NodeMessage, RED, SendFn } from '../shared/red';
import { StatusReporter, countsText } from '../shared/status';
import { migrateConfig } from '../shared/migrations';
import { readNodeConfig } from '../shared/config';

const STATE_KEY = 'featureWindowState';

/** Node-RED glue for feature-window: readings in, one message per closed device window out. */
export = function register(RED: RED): void {
  function FeatureWindowNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    // A flow saved before a property existed: it takes the value it had then (shared/migrations.ts).
    def = migrateConfig(def);
    const node = this;
    const parsed = parseWindowConfig(def);
    let engine: WindowEngine | undefined;
    const status = new StatusReporter(node, () => {
      const stats = engine!.stats;
      const rejected = stats.late + stats.minCount + stats.type + stats.overflow + stats.future + stats.duplicate;
      return {
        fill: rejected > 0 || stats.evictions > 0 ? 'yellow' : 'green',
        shape: 'dot',
        text: countsText([
          [stats.emitted, RED._('feature-window.status.windows')],
          [stats.devices, RED._('feature-window.status.devices')],
          [stats.late, RED._('feature-window.status.late')],
          [rejected - stats.late, RED._('feature-window.status.rejected')],
          [stats.evictions, RED._('feature-window.status.evicted')],
        ]),
      };
    });
    const config = readNodeConfig(node, parsed, RED._('feature-window.errors.config'));
    if (config === undefined) return;
    engine = new WindowEngine(config);
    // Arrival times never go back, whatever the host clock does (see createClock).
    let clock: Clock = createClock();

    let idleTimer: NodeJS.Timeout | undefined;
    // Saved in slices: each save encodes only the devices that changed, at most 128 per turn of the event loop.
    const slices = new WindowStateSlices();
    const state = new SlicedPersistedState(node, config.persist, STATE_KEY, slices);

    // `each`: windows go out one send() call each (a window payload is made fresh, so it needs no deep copy);
    // `batch`: the windows of one input as one message, their payloads in order. Rejects carry the input's reading
    // and go in one call, which copies each after the first.
    const emit = (send: SendFn, events: readonly WindowEvent[], source: NodeMessage) => {
      if (events.length === 0) return;
      const batch = config.output === 'batch';
      const windows: NodeMessage[] = [];
      const payloads: WindowPayload[] = [];
      const rejects: NodeMessage[] = [];
      for (const event of events) {
        if (event.kind === 'window') {
          if (batch) payloads.push(event.payload);
          else windows.push({ ...source, topic: event.payload.deviceId, payload: event.payload });
        } else {
          const error = event.index === undefined ? { code: event.code, message: event.message } : { code: event.code, message: event.message, path: `/${event.index}` };
          rejects.push({ ...source, payload: event.reading ?? event.window, error });
        }
      }
      if (payloads.length > 0) send([batchMessage(source, payloads), null]);
      sendEach(send, 0, windows, source, RED.util.cloneMessage);
      if (rejects.length > 0) send([null, rejects]);
    };
    // Urgent (saved within 50 ms) when a window went out: a kill -9 that forgot it would emit the window again.
    const stateChanged = (events: readonly WindowEvent[] = []) => {
      status.update();
      state.changed(events.some((event) => event.kind === 'window'));
    };

    const armIdleTimer = () => {
      if (idleTimer || config.idleTimeout <= 0) return;
      const deadline = engine!.nextIdleDeadline();
      if (deadline === undefined) return;
      idleTimer = setTimeout(() => {
        idleTimer = undefined;
        const events = engine!.expireIdle(clock.now());
        emit((m) => node.send(m), events, {});
        if (events.length > 0) stateChanged(events);
        armIdleTimer();
      }, Math.max(0, deadline - clock.now()) + 1);
    };

    const handle = (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      try {
        for (const control of ['reset', 'flush'] as const) {
          if (msg[control] === undefined || msg[control] === false) continue;
          const target = controlTarget(msg[control]);
          if (target === undefined) {
            node.warn(`${RED._('feature-window.warn.control')}: msg.${control} = ${describeValue(msg[control])}`);
            return done();
          }
          if (control === 'reset') engine!.reset(target === true ? undefined : target);
          const flushed = control === 'reset' ? [] : engine!.flush(target === true ? undefined : target);
          emit(send, flushed, msg);
          stateChanged(flushed);
          return done();
        }
        const now = clock.now();
        let events: readonly WindowEvent[];
        if (!Array.isArray(msg.payload)) {
          // One reading per message, the canonical form: no array around it.
          events = engine!.add(msg.payload as never, now);
        } else {
          const readings = msg.payload;
          if (readings.length > MAX_READINGS_PER_MESSAGE) {
            const message = `${readings.length} readings in one message is over the ${MAX_READINGS_PER_MESSAGE}-reading limit`;
            send([null, rejectMessage(msg, { code: 'too-large', message })]);
            return done();
          }
          // Each reading as if it came alone, in order (core WindowEngine.addAll); a reject says its `/<index>`.
          events = engine!.addAll(readings, now);
        }
        emit(send, events, msg);
        stateChanged(events);
        armIdleTimer();
        done();
      } catch (err) {
        done(err as Error);
      }
    };

    if (state.enabled) {
      slices.attach(engine); // until a saved state is restored: rewrite every slice at the first save
      const restore = (saved: unknown) => {
        const { header, slices: lists } = saved as { header: unknown; slices: unknown[] };
        engine = WindowEngine.restore(config, assembleWindowState(header, lists));
        slices.attach(engine, lists.length > 0 ? lists : undefined);
        clock = createClock({ notBefore: engine.latestArrival() });
      };
      state.load(restore, handle, () => {
        status.update();
        armIdleTimer();
      });
    } else {
      node.status({ fill: 'grey', shape: 'ring', text: RED._('feature-window.status.ready') });
    }

    node.on('input', (msg, send, done) => state.accept(handle, msg, send, done));

    node.on('close', (_removed, done) => {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = undefined;
      status.close();
      if (state.enabled) return state.close(done);
      // Without persistence the open windows would be lost: emit them now.
      emit((m) => node.send(m), engine!.flush(), {});
      done();
    });
  }
  RED.nodes.registerType('feature-window', FeatureWindowNode);
};

/** `msg.reset` / `msg.flush`: `true` is every device, a string or finite number one device; anything else is refused. */
function controlTarget(value: unknown): true | string | undefined {
  if (value === true) return true;
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function describeValue(value: unknown): string {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? JSON.stringify(value) : String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
