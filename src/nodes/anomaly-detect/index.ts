import { AnomalySession, parseAnomalyConfig, type ScoreResult } from '../../core/anomaly';
import type { DataError } from '../../core/types';
import { roundScore } from '../../core/util/numbers';
import { rejectMessage } from '../shared/messages';
import { PersistedState, sendBoth } from '../shared/persist';
import type { DoneFn, Node, NodeDef, NodeMessage, RED, SendFn } from '../shared/red';
import { StatusReporter, countsText } from '../shared/status';
import { migrateConfig } from '../shared/migrations';
import { readNodeConfig } from '../shared/config';

const STATE_KEY = 'anomalyDetectState';
const MAX_BATCH = 10_000;

type Item = { ok: true; key: string; features: Record<string, unknown>; ts: number; reading: boolean } | { ok: false; error: DataError };

/**
 * What one payload asks to be scored: a feature-window output (`{ deviceId, end, features }`, one stream per
 * device) or a canonical reading (`{ deviceId, sensor, value, ts }`, one stream per device and sensor).
 */
function readItem(payload: unknown, topic: unknown, now: number): Item {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, error: { code: 'payload', message: 'payload must be a feature-window output or a canonical reading' } };
  }
  const p = payload as Record<string, unknown>;
  const device = typeof p.deviceId === 'string' && p.deviceId !== '' ? p.deviceId : typeof topic === 'string' && topic !== '' ? topic : undefined;
  if (device === undefined) return { ok: false, error: { code: 'device', message: 'no payload.deviceId (or msg.topic) to say whose data this is', path: '/deviceId' } };
  if (p.features !== undefined) {
    if (p.features === null || typeof p.features !== 'object' || Array.isArray(p.features)) {
      return { ok: false, error: { code: 'features', message: 'payload.features must be an object of numbers', path: '/features' } };
    }
    const ts = typeof p.end === 'number' ? p.end : typeof p.ts === 'number' ? p.ts : now;
    return { ok: true, key: device, features: p.features as Record<string, unknown>, ts, reading: false };
  }
  if (typeof p.sensor === 'string' && p.sensor !== '' && 'value' in p) {
    if (typeof p.value === 'string') return { ok: false, error: { code: 'type', message: `reading "${p.sensor}" has a text value`, path: '/value' } };
    return { ok: true, key: `${device}/${p.sensor}`, features: { [p.sensor]: p.value }, ts: typeof p.ts === 'number' ? p.ts : now, reading: true };
  }
  return { ok: false, error: { code: 'payload', message: 'payload has neither features nor a sensor reading', path: '' } };
}

/** Node-RED glue for anomaly-detect: windows (or readings) in, each with a streaming anomaly prediction out. */
export = function register(RED: RED): void {
  function AnomalyDetectNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    // A flow saved before a property existed: it takes the value it had then (shared/migrations.ts).
    def = migrateConfig(def);
    const node = this;
    const parsed = parseAnomalyConfig(def);
    let session: AnomalySession | undefined;
    let alarmsToday = 0;
    let day = '';
    const status = new StatusReporter(node, () => {
      const stats = session!.stats;
      const ready = stats.streams - stats.learning;
      if (stats.streams > 0 && ready === 0) {
        return { fill: 'blue', shape: 'ring', text: `${RED._('anomaly-detect.status.learning')} ${stats.learnt}/${session!.config.learn}` };
      }
      return {
        fill: alarmsToday > 0 ? 'yellow' : 'green',
        shape: 'dot',
        text: countsText([
          [alarmsToday, RED._('anomaly-detect.status.alarmsToday')],
          [stats.streams, RED._('anomaly-detect.status.streams')],
          [stats.learning, RED._('anomaly-detect.status.learning')],
          [stats.rejected, RED._('anomaly-detect.status.rejected')],
          [stats.evictions, RED._('anomaly-detect.status.evicted')],
        ]),
      };
    });
    const config = readNodeConfig(node, parsed, RED._('anomaly-detect.errors.config'));
    if (config === undefined) return;
    session = new AnomalySession(config);
    const state = new PersistedState(node, config.persist, STATE_KEY, () => session!.snapshot());

    /** Counts an alarm against the local calendar day of the wall clock ("3 alarms today"). */
    const countAlarm = (result: ScoreResult) => {
      if (!result.ok || !result.prediction.episodeStart) return;
      const today = new Date().toDateString();
      if (today !== day) {
        day = today;
        alarmsToday = 0;
      }
      alarmsToday++;
    };
    const scoreItem = (payload: unknown, topic: unknown, now: number): ScoreResult => {
      const item = readItem(payload, topic, now);
      if (!item.ok) return item;
      const result = session!.score(item.key, item.features, item.ts);
      countAlarm(result);
      if (result.ok) {
        // Rounded for the message only: the session took its verdict on the exact values (#18.14).
        const p = result.prediction;
        return { ...result, prediction: { ...p, score: roundScore(p.score), likelihood: roundScore(p.likelihood), confidence: roundScore(p.confidence) } };
      }
      // The session's paths are inside the features it was given: point at the payload's own property.
      return { ok: false, error: { ...result.error, path: item.reading ? '/value' : `/features${result.error.path ?? ''}` } };
    };

    const handle = (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      try {
        if (msg.reset !== undefined && msg.reset !== false) {
          if (typeof msg.reset === 'string') {
            session!.reset(msg.reset);
            session!.resetPrefix(`${msg.reset}/`);
          } else session!.reset();
          status.update();
          state.changed();
          return done();
        }
        const now = Date.now();
        if (Array.isArray(msg.payload)) {
          if (msg.payload.length > MAX_BATCH) {
            send([null, rejectMessage(msg, { code: 'too-large', message: `a batch of ${msg.payload.length} payloads is over the ${MAX_BATCH}-payload limit` })]);
            return done();
          }
          // A batch (feature-window's `batch` output): every payload gets its own prediction; bad ones leave alone.
          const good: unknown[] = [];
          const bad: NodeMessage[] = [];
          msg.payload.forEach((item, index) => {
            const result = scoreItem(item, undefined, now);
            if (result.ok) good.push({ ...(item as object), prediction: result.prediction });
            else bad.push({ ...msg, payload: item, error: { ...result.error, path: `/${index}${result.error.path ?? ''}` } });
          });
          sendBoth(send, good.length > 0 ? [{ ...msg, payload: good }] : [], bad);
        } else {
          const result = scoreItem(msg.payload, msg.topic, now);
          if (result.ok) send([{ ...msg, payload: { ...(msg.payload as object), prediction: result.prediction } }, null]);
          else send([null, rejectMessage(msg, result.error)]);
        }
        status.update();
        state.changed();
        done();
      } catch (err) {
        done(err as Error);
      }
    };

    if (state.enabled) {
      state.load((saved) => (session = AnomalySession.restore(config, saved)), handle, () => status.update());
    } else {
      node.status({ fill: 'grey', shape: 'ring', text: RED._('anomaly-detect.status.ready') });
    }

    node.on('input', (msg, send, done) => state.accept(handle, msg, send, done));
    node.on('close', (_removed, done) => {
      status.close();
      if (state.enabled) return state.close(done);
      done();
    });
  }
  RED.nodes.registerType('anomaly-detect', AnomalyDetectNode);
};
