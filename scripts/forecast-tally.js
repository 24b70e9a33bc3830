// Scores the sample flows' forecasts against the simulator's truth, as `npm start`'s live summary shows them and the
// forecast e2e test measures them (docs/forecasting.md#in-the-sample-flows).
//
// - A forecast (a model-predict output on iot-ai/<scenario>/forecasts/<key>: deviceId, prediction.at, .horizon and
//   .label or .value) is held until its device's truth reaches `at`, then scored against the truth of that device's
//   latest reading before `at` (the rule the forecast was trained on: the latest row in [end, end + H)).
// - Persistence ("it stays as it is") is the truth of the device's latest reading before the window's end
//   (`at − horizon`), the truth known when the window closed; it is scored on the same forecasts.
// - Truth messages carry no time: each is stamped with the time of its device's latest reading (the simulator
//   publishes a reading, then its truth).
// - Bounded: at most `maxDevices` devices, `maxHistory` truths and `maxPending` held forecasts per device; what a
//   bound drops is counted (`dropped`), as is what a device's clock going back (a redeployed simulator) drops.
'use strict';

const path = require('path');
/** Which truth field each forecast key is scored against (the key itself when not listed): core's table. */
const { FORECAST_TRUTH: FORECAST_TRUTH_OF } = require(path.join(__dirname, '..', 'dist', 'core', 'sim'));

/** The time (epoch ms) of a device payload: SenML `bt` (+ `t`, seconds), or a flat JSON `ts`; undefined if none. */
function readingTime(body) {
  if (Array.isArray(body)) {
    const first = body[0];
    if (first && typeof first.bt === 'number') return Math.round((first.bt + (typeof first.t === 'number' ? first.t : 0)) * 1000);
    return undefined;
  }
  if (body && typeof body === 'object' && typeof body.ts === 'number') return body.ts < 1e11 ? body.ts * 1000 : body.ts;
  return undefined;
}

/** The truth of the latest history entry with ts < `time`, or undefined. */
function latestBefore(history, time) {
  for (let i = history.length - 1; i >= 0; i--) if (history[i].ts < time) return history[i].truth;
  return undefined;
}

class ForecastTally {
  constructor({ maxDevices = 200, maxHistory = 720, maxPending = 400 } = {}) {
    this.limits = { maxDevices, maxHistory, maxPending };
    /** `<scenario>/<device>` → { clock, history: [{ ts, truth }], pending: [forecast] } */
    this.devices = new Map();
    /** `<scenario>/<key>` → figures */
    this.keys = new Map();
    this.dropped = 0;
  }

  device(id, create) {
    let device = this.devices.get(id);
    if (device === undefined && create) {
      if (this.devices.size >= this.limits.maxDevices) {
        // The device heard from least recently makes room.
        const [oldest, gone] = this.devices.entries().next().value;
        this.dropped += gone.pending.length;
        this.devices.delete(oldest);
      }
      device = { clock: undefined, history: [], pending: [] };
      this.devices.set(id, device);
    } else if (device !== undefined) {
      this.devices.delete(id);
      this.devices.set(id, device);
    }
    return device;
  }

  /** A device payload on <scenario>/<device>/sensors: the device's clock. */
  reading(scenario, deviceId, body) {
    const ts = readingTime(body);
    if (ts === undefined) return;
    this.device(`${scenario}/${deviceId}`, true).clock = ts;
  }

  /** The truth on <scenario>/<device>/truth, at the device's clock; scores the held forecasts it reaches. */
  truth(scenario, deviceId, truth) {
    const device = this.device(`${scenario}/${deviceId}`, false);
    if (device === undefined || device.clock === undefined || truth === null || typeof truth !== 'object') return;
    const ts = device.clock;
    const last = device.history[device.history.length - 1];
    if (last !== undefined && ts < last.ts) {
      // The device's clock went back (a simulator redeployed from its start time): what was held is of another
      // timeline, dropped and counted.
      this.dropped += device.pending.length;
      device.pending = [];
      device.history = [];
    }
    if (device.pending.length > 0) {
      const due = [];
      const keep = [];
      for (const forecast of device.pending) (forecast.at <= ts ? due : keep).push(forecast);
      device.pending = keep;
      // The truth of the device's latest reading before `at` (none held: this one, the first known after it).
      for (const forecast of due) this.score(forecast, latestBefore(device.history, forecast.at) ?? truth);
    }
    device.history.push({ ts, truth });
    if (device.history.length > this.limits.maxHistory) device.history.shift();
  }

  /** A forecast on iot-ai/<scenario>/forecasts/<key>: held until its device's truth reaches `at`. */
  forecast(scenario, key, body) {
    const prediction = body?.prediction;
    if (typeof body?.deviceId !== 'string' || typeof prediction?.at !== 'number' || typeof prediction?.horizon !== 'number') return;
    const field = FORECAST_TRUTH_OF[key] ?? key;
    const regression = typeof prediction.value === 'number';
    const figures = this.figures(`${scenario}/${key}`, regression);
    figures.forecasts++;
    const device = this.device(`${scenario}/${body.deviceId}`, true);
    const end = prediction.at - prediction.horizon;
    const persistence = latestBefore(device.history, end)?.[field];
    device.pending.push({ figures, field, regression, at: prediction.at, value: regression ? prediction.value : String(prediction.label), persistence });
    if (device.pending.length > this.limits.maxPending) {
      device.pending.shift();
      this.dropped++;
    }
  }

  figures(id, regression) {
    let figures = this.keys.get(id);
    if (figures === undefined) {
      figures = { task: regression ? 'regression' : 'classification', forecasts: 0, scored: 0, modelError: 0, compared: 0, modelErrorCompared: 0, persistenceError: 0 };
      this.keys.set(id, figures);
    }
    return figures;
  }

  score(forecast, truth) {
    const expected = truth?.[forecast.field];
    if (expected === undefined || expected === null) return;
    const { figures } = forecast;
    // Classification: error 0 (right) or 1 (wrong), labels compared as text; regression: absolute error.
    const error = (guess) => (forecast.regression ? Math.abs(Number(guess) - Number(expected)) : String(guess) === String(expected) ? 0 : 1);
    const modelError = error(forecast.value);
    figures.scored++;
    figures.modelError += modelError;
    if (forecast.persistence !== undefined && forecast.persistence !== null) {
      figures.compared++;
      figures.modelErrorCompared += modelError;
      figures.persistenceError += error(forecast.persistence);
    }
  }

  /**
   * Per `<scenario>/<key>`: forecasts received, scored, the model's accuracy (classification) or MAE (regression)
   * on all scored, and on those with a persistence value: both scores and the skill over persistence (as
   * docs/forecasting.md defines it; null when persistence is perfect there).
   */
  results() {
    const out = {};
    for (const [id, f] of this.keys) {
      const classification = f.task === 'classification';
      const score = (errors, n) => (n === 0 ? null : classification ? 1 - errors / n : errors / n);
      const model = score(f.modelErrorCompared, f.compared);
      const persistence = score(f.persistenceError, f.compared);
      let skill = null;
      if (model !== null && persistence !== null) {
        if (classification) skill = persistence === 1 ? null : (model - persistence) / (1 - persistence);
        else skill = persistence === 0 ? null : 1 - model / persistence;
      }
      out[id] = { task: f.task, forecasts: f.forecasts, scored: f.scored, score: score(f.modelError, f.scored), compared: f.compared, model, persistence, skill };
    }
    return out;
  }

  /** Forecasts held now, over all devices. */
  pending() {
    let n = 0;
    for (const device of this.devices.values()) n += device.pending.length;
    return n;
  }
}

/** "occupancy 86.2% (persistence 84.0%) of 210" / "heart-rate MAE 6.1 (persistence MAE 7.9) of 120": the summary's words. */
function describeForecasts(results) {
  const parts = [];
  for (const [id, r] of Object.entries(results)) {
    if (r.scored === 0) continue;
    const key = id.slice(id.indexOf('/') + 1);
    const show = (v) => (r.task === 'classification' ? `${(100 * v).toFixed(1)}%` : `MAE ${v.toFixed(1)}`);
    // Model and persistence on the same forecasts (those with a persistence value).
    parts.push(r.compared > 0 ? `${key} ${show(r.model)} (persistence ${show(r.persistence)}) of ${r.compared}` : `${key} ${show(r.score)} of ${r.scored}`);
  }
  return parts.join(', ');
}

module.exports = { ForecastTally, FORECAST_TRUTH_OF, readingTime, describeForecasts };
