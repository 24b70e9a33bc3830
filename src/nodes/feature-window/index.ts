import { MAX_READINGS_PER_MESSAGE, parseWindowConfig, WindowEngine, type WindowEvent, type WindowConfig } from '../../core/window';
import { nodeFault, rejectMessage, shorten } from '../shared/messages';
import { PersistedState, sendBoth } from '../shared/persist';
import type { DoneFn, Node, NodeDef, NodeMessage, RED, SendFn } from '../shared/red';
import { StatusReporter, countsText } from '../shared/status';

const STATE_KEY = 'featureWindowState';

/** Node-RED glue for feature-window: readings in, one message per closed device window out. */
export = function register(RED: RED): void {
  function FeatureWindowNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const parsed = parseWindowConfig(def);
    let engine: WindowEngine | undefined;
    const status = new StatusReporter(node, () => {
      const stats = engine!.stats;
      const rejected = stats.late + stats.minCount + stats.type + stats.overflow;
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
    if (!parsed.ok) {
      const message = `${RED._('feature-window.errors.config')}: ${parsed.error}`;
      node.error(message);
      status.showFault(shorten(parsed.error));
      node.on('input', (_msg, _send, done) => nodeFault(node, done, message));
      node.on('close', (_removed, done) => done());
      return;
    }
    const config: WindowConfig = parsed.config;
    engine = new WindowEngine(config);

    let idleTimer: NodeJS.Timeout | undefined;
    const state = new PersistedState(node, config.persist, STATE_KEY, () => engine!.snapshot());

    const emit = (send: SendFn, events: readonly WindowEvent[], source: NodeMessage) => {
      const windows: NodeMessage[] = [];
      const rejects: NodeMessage[] = [];
      for (const event of events) {
        if (event.kind === 'window') windows.push({ ...source, topic: event.payload.deviceId, payload: event.payload });
        else rejects.push({ ...source, payload: event.reading ?? event.window, error: { code: event.code, message: event.message } });
      }
      sendBoth(send, windows, rejects);
    };
    const stateChanged = () => {
      status.update();
      state.changed();
    };

    const armIdleTimer = () => {
      if (idleTimer) return;
      const deadline = engine!.nextIdleDeadline();
      if (deadline === undefined) return;
      idleTimer = setTimeout(() => {
        idleTimer = undefined;
        const events = engine!.expireIdle(Date.now());
        emit((m) => node.send(m), events, {});
        if (events.length > 0) stateChanged();
        armIdleTimer();
      }, Math.max(0, deadline - Date.now()) + 1);
    };

    const handle = (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      try {
        if (msg.reset !== undefined && msg.reset !== false) {
          engine!.reset(typeof msg.reset === 'string' ? msg.reset : undefined);
          stateChanged();
          return done();
        }
        if (msg.flush !== undefined && msg.flush !== false) {
          emit(send, engine!.flush(typeof msg.flush === 'string' ? msg.flush : undefined), msg);
          stateChanged();
          return done();
        }
        const readings = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
        if (readings.length > MAX_READINGS_PER_MESSAGE) {
          const message = `${readings.length} readings in one message is over the ${MAX_READINGS_PER_MESSAGE}-reading limit`;
          send([null, rejectMessage(msg, { code: 'too-large', message })]);
          return done();
        }
        const now = Date.now();
        const events: WindowEvent[] = [];
        for (const reading of readings) events.push(...engine!.add(reading as never, now));
        emit(send, events, msg);
        stateChanged();
        armIdleTimer();
        done();
      } catch (err) {
        done(err as Error);
      }
    };

    if (state.enabled) {
      state.load((saved) => (engine = WindowEngine.restore(config, saved)), handle, () => {
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
