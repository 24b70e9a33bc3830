import { AnomalyLikelihood, DEFAULT_LIKELIHOOD } from '../../core/anomaly';
import { ANOMALY_LABEL, anomalyConfidence, DEFAULT_DRIFT_MAX_DEVICES, DriftMonitor, missingFeatureHint, NORMAL_LABEL, type DriftReport, type LoadedModel, type Prediction } from '../../core/model';
import { readNumberOption, roundScore, toBoolean } from '../../core/util/numbers';
import { pointer } from '../../core/util/pointer';
import { MODEL_BOUNDS } from '../../core/model/file/bounds';
import type { MlModelNode, ModelState } from '../ml-model/source';
import { nodeFault, rejectMessage, shorten } from '../shared/messages';
import { sendBoth } from '../shared/persist';
import type { DoneFn, Node, NodeDef, NodeMessage, RED } from '../shared/red';
import { StatusReporter, countsText } from '../shared/status';
import { migrateConfig } from '../shared/migrations';

/** Most payloads one batch message may carry: each is predicted in turn while the flow waits. */
const MAX_BATCH = 10_000;
/** Devices whose score history the `likelihood` option keeps; the least recently seen is forgotten beyond it. */
const MAX_LIKELIHOOD_STREAMS = 10_000;
/** Scores of a device before its likelihood judges: until then its label is the score's, as without the option. */
const LIKELIHOOD_LEARN = 100;
/** Drifted feature names shown in the status before "+N". */
const STATUS_FEATURES = 2;

/** What the predict node adds beside a prediction when the live data has drifted from the training data. */
interface DriftFlag {
  drifted: true;
  features: string[];
  maxPsi: number;
}

/** The JSON Pointer of a message property inside msg.payload ('payload.a/b.features' is '/a~1b/features'); '' elsewhere. */
function payloadPointer(normalise: (expr: string) => unknown[], property: string): string {
  let steps: unknown[];
  try {
    steps = normalise(property);
  } catch {
    return '';
  }
  if (steps[0] !== 'payload' || !steps.every((step) => typeof step === 'string' || typeof step === 'number')) return '';
  return pointer(...(steps.slice(1) as Array<string | number>));
}

/** Node-RED glue for model-predict: features in, `payload.prediction` out, from the model of an ml-model config. */
export = function register(RED: RED): void {
  function ModelPredictNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    // A flow saved before a property existed: it takes the value it had then (shared/migrations.ts).
    def = migrateConfig(def);
    const node = this;
    const config = RED.nodes.getNode(String(def.model ?? '')) as MlModelNode | null;
    // Where the features are: a message property, `payload.features` by default.
    const property = typeof def.property === 'string' && def.property.trim() !== '' ? def.property.trim() : 'payload.features';
    const itemProperty = property.startsWith('payload.') ? property.slice('payload.'.length) : undefined;
    const getMessageProperty = RED.util.getMessageProperty as (msg: object, expr: string) => unknown;
    // Where the features are inside msg.payload, as the JSON Pointer that starts an error.path ('' outside payload).
    const featuresPointer = payloadPointer(RED.util.normalisePropertyExpression as (expr: string) => unknown[], property);
    // Node-RED's reader throws when a step of the path is null or missing: that is a missing feature, not a fault.
    const getProperty = (source: object, expr: string): unknown => {
      try {
        return getMessageProperty(source, expr);
      } catch {
        return undefined;
      }
    };

    // Anomaly threshold (blank: the model's own) and drift monitoring settings.
    const options = {
      threshold: readNumberOption(def.threshold, 'threshold', undefined, { min: 0, max: 1 }),
      driftThreshold: readNumberOption(def.driftThreshold, 'driftThreshold', 0.2, { min: 0.001, max: 100 }),
      driftWindow: readNumberOption(def.driftWindow, 'driftWindow', 500, { min: 10, max: 100_000, integer: true }),
      likelihoodThreshold: readNumberOption(def.likelihoodThreshold, 'likelihoodThreshold', 0.9999, { min: 0.5, max: 1 }),
    };
    const configError = Object.values(options).find((n): n is { error: string } => 'error' in n)?.error;
    const threshold = 'value' in options.threshold ? options.threshold.value : undefined;
    const driftThreshold = 'value' in options.driftThreshold ? options.driftThreshold.value : 0.2;
    const driftWindow = 'value' in options.driftWindow ? options.driftWindow.value : 500;
    const driftOn = !configError && toBoolean(def.drift, true);
    // Anomaly models: calibrate each device's scores into a likelihood against its own history (off in older flows).
    const likelihoodOn = toBoolean(def.likelihood, false);
    const likelihoodThreshold = 'value' in options.likelihoodThreshold ? options.likelihoodThreshold.value : 0.9999;
    // A flow saved before `missing` existed rejects, as it always did.
    const missing = def.missing === 'allow' ? 'allow' : 'reject';
    const perDevice = def.driftScope === 'device';
    const driftOutput = toBoolean(def.driftOutput, false);
    // The PSI of a sample of hundreds moves slowly: it is worked out every `reportEvery` vectors of a stream (the
    // first time as soon as the sample is ready); in between the last verdict stands.
    const reportEvery = Math.max(1, Math.floor(driftWindow / 50));

    const counts = { predictions: 0, errors: 0, anomalies: 0 };
    let model: ModelState = { source: '' };

    /**
     * One live stream of drift monitoring: the whole model, or one device with driftScope `device`. `monitor` is the
     * stream's own (a model with per-device parts compares each device with its own training sketch; null: none).
     */
    interface DriftStream {
      flag?: DriftFlag;
      /** Vectors added since the PSI was last worked out. */
      since: number;
      monitor?: DriftMonitor | null;
    }
    /** Keyed by deviceId ('' for the model); Map order is least recently fed first, at most MAX_STREAMS. */
    const streams = new Map<string, DriftStream>();
    const MAX_STREAMS = DEFAULT_DRIFT_MAX_DEVICES;
    let monitoredModel: LoadedModel | undefined;
    /** The model-wide monitor (one stream, or one per device inside it); null without a sketch. */
    let shared: DriftMonitor | null = null;
    /** The monitored model has per-device parts and drift is compared per device. */
    let byDevicePart = false;

    const status = new StatusReporter(node, () => {
      const live = model.model;
      const version = live ? `${live.name} v${live.version}` : RED._('model-predict.status.noModel');
      const drifted = [...streams.values()].filter((stream) => stream.flag !== undefined);
      let driftText = '';
      if (drifted.length > 0) {
        const names = [...new Set(drifted.flatMap((stream) => stream.flag!.features))];
        driftText =
          ` · ${RED._('model-predict.status.drift')}: ` +
          (perDevice ? `${drifted.length} ${RED._('model-predict.status.devices')} ` : '') +
          names.slice(0, STATUS_FEATURES).join(', ') +
          (names.length > STATUS_FEATURES ? ` +${names.length - STATUS_FEATURES}` : '');
      }
      return {
        fill: model.error || counts.errors > 0 || drifted.length > 0 ? 'yellow' : 'green',
        shape: drifted.length > 0 ? 'ring' : 'dot',
        text:
          countsText([
            [counts.predictions, RED._('model-predict.status.predictions')],
            [counts.anomalies, RED._('model-predict.status.anomalies')],
            [counts.errors, RED._('model-predict.status.errors')],
          ]) + ` · ${version}${model.error ? ` (${RED._('model-predict.status.reloadFailed')})` : ''}${driftText}`,
      };
    });

    /** A new model brings a new training distribution: the live samples start again. */
    function watch(live: LoadedModel): void {
      if (live === monitoredModel) return;
      monitoredModel = live;
      streams.clear();
      byDevicePart = perDevice && live.deviceIds.length > 0;
      shared = driftOn && !byDevicePart ? newMonitor(live.sketch, perDevice) : null;
    }

    /** The stream of `key`, made the most recently fed; the least recently fed one goes beyond MAX_STREAMS. */
    function streamOf(key: string): DriftStream {
      let stream = streams.get(key);
      if (stream === undefined) {
        if (streams.size >= MAX_STREAMS) streams.delete(streams.keys().next().value as string);
        stream = { since: reportEvery };
      } else streams.delete(key);
      streams.set(key, stream);
      return stream;
    }

    function newMonitor(sketch: LoadedModel['sketch'], streamPerDevice: boolean): DriftMonitor | null {
      if (sketch === undefined) return null;
      try {
        return new DriftMonitor(sketch, {
          windowSize: driftWindow,
          minSamples: Math.min(driftWindow, Math.max(10, Math.round(driftWindow * 0.4))),
          threshold: driftThreshold,
          perDevice: streamPerDevice,
          maxDevices: MAX_STREAMS,
        });
      } catch (err) {
        node.warn(`${RED._('model-predict.errors.noDrift')}: ${(err as Error).message}`);
        return null;
      }
    }

    let unsubscribe: (() => void) | undefined;
    if (configError) {
      status.showFault(configError);
    } else if (!config || typeof config.subscribe !== 'function') {
      status.showFault(RED._('model-predict.errors.noConfig'));
    } else {
      unsubscribe = config.subscribe((state) => {
        model = state;
        // Still loading (the first moments after a deploy) is a wait, not a fault: grey, not red.
        if (!state.model && state.error === undefined) status.showWaiting(RED._('model-predict.status.loading'));
        else if (!state.model) status.showFault(shorten(state.error!));
        else {
          watch(state.model);
          status.clearFault();
          status.update();
        }
      });
    }

    const copyFlag = (flag: DriftFlag): DriftFlag => ({ drifted: true, features: flag.features.slice(), maxPsi: flag.maxPsi });

    /**
     * Feeds one good feature vector to the drift monitor. Returns the flag for the prediction while its stream has
     * drifted, and a message for the third output when the stream's state just changed (drifted or recovered).
     */
    function watchDrift(live: LoadedModel, features: unknown, deviceId: string | undefined, out: NodeMessage[]): DriftFlag | undefined {
      if (!driftOn) return undefined;
      watch(live);
      const key = perDevice ? (deviceId ?? '') : '';
      const stream = streamOf(key);
      if (byDevicePart && stream.monitor === undefined) stream.monitor = newMonitor(live.sketchFor(key), false);
      const watcher = byDevicePart ? stream.monitor! : shared;
      if (watcher === null) return undefined;
      const added = watcher.add(features as Record<string, unknown>, key);
      if (!added.ok || added.samples < watcher.minSamples) return undefined;
      const before = stream.flag;
      if (stream.since < reportEvery) {
        stream.since++;
        return before === undefined ? undefined : copyFlag(before);
      }
      stream.since = 1;
      const report: DriftReport = watcher.report(key);
      if (!report.drifted) {
        stream.flag = undefined;
        if (before !== undefined && driftOutput) out.push(driftMessage(live, report, key));
        return undefined;
      }
      const flag: DriftFlag = { drifted: true, features: report.driftedFeatures, maxPsi: report.maxPsi };
      stream.flag = copyFlag(flag);
      if (driftOutput && (before === undefined || before.features.join('\n') !== flag.features.join('\n'))) out.push(driftMessage(live, report, key));
      return flag;
    }

    function driftMessage(live: LoadedModel, report: DriftReport, key: string): NodeMessage {
      return {
        topic: perDevice ? key : live.name,
        payload: {
          ...(perDevice ? { deviceId: key } : {}),
          drifted: report.drifted,
          driftedFeatures: report.driftedFeatures,
          maxPsi: report.maxPsi,
          threshold: report.threshold,
          samples: report.samples,
          features: report.features,
          model: { name: live.name, version: live.version },
        },
      } as NodeMessage;
    }

    /** Each device's score history for the `likelihood` option, least recently seen first; a new model starts over. */
    const likelihoods = new Map<string, AnomalyLikelihood>();
    let likelihoodModel: LoadedModel | undefined;

    /**
     * The `likelihood` option: the score joins the device's history and the label follows the likelihood once the
     * device has LIKELIHOOD_LEARN scores (before that, the score's label stands and the likelihood is 0.5).
     */
    function calibrate(live: LoadedModel, prediction: Prediction, device: string | undefined): void {
      if (prediction.score === undefined) return;
      if (likelihoodModel !== live) {
        // Another model (or version) scores on another scale: its history starts over.
        likelihoods.clear();
        likelihoodModel = live;
      }
      const key = device ?? '';
      let stream = likelihoods.get(key);
      if (stream === undefined) stream = new AnomalyLikelihood(DEFAULT_LIKELIHOOD);
      else likelihoods.delete(key);
      likelihoods.set(key, stream);
      if (likelihoods.size > MAX_LIKELIHOOD_STREAMS) likelihoods.delete(likelihoods.keys().next().value as string);
      const likelihood = stream.update(prediction.score);
      if (stream.count <= LIKELIHOOD_LEARN) {
        prediction.likelihood = 0.5;
        return;
      }
      prediction.likelihood = likelihood;
      const anomalous = likelihood >= likelihoodThreshold;
      prediction.label = anomalous ? ANOMALY_LABEL : NORMAL_LABEL;
      prediction.confidence = anomalyConfidence(likelihood, likelihoodThreshold);
    }

    function predictOne(live: LoadedModel, features: unknown, deviceId: unknown, driftOut: NodeMessage[]):
      | { ok: true; prediction: Prediction }
      | { ok: false; error: { code: string; message: string; path: string } } {
      const device = typeof deviceId === 'string' || typeof deviceId === 'number' ? String(deviceId) : undefined;
      const result = live.predict(features, { missing, ...(threshold === undefined ? {} : { threshold }), ...(device === undefined ? {} : { deviceId: device }) });
      if (!result.ok) return result.error.code === 'features' && result.error.message.endsWith(' is missing') ? { ok: false, error: { ...result.error, message: result.error.message + missingHint(live) } } : result;
      if (live.task === 'anomaly') {
        if (likelihoodOn) calibrate(live, result.prediction, device);
        if (result.prediction.label === 'anomaly') counts.anomalies++;
        // Rounded for the message only: the label was decided on the exact score and likelihood (#18.14).
        if (result.prediction.score !== undefined) result.prediction.score = roundScore(result.prediction.score);
        if (result.prediction.likelihood !== undefined) result.prediction.likelihood = roundScore(result.prediction.likelihood);
        result.prediction.confidence = roundScore(result.prediction.confidence);
      }
      const flag = watchDrift(live, features, device, driftOut);
      if (flag !== undefined) (result.prediction as Prediction & { drift?: DriftFlag }).drift = flag;
      return result;
    }

    /** What a missing-feature error adds: the features the model needs and the window that computes them (once per model). */
    const hints = new WeakMap<LoadedModel, string>();
    function missingHint(live: LoadedModel): string {
      let hint = hints.get(live);
      if (hint === undefined) {
        const parts = missingFeatureHint(live.file);
        hint = RED._('model-predict.errors.missingNeeds', parts) + (parts.features !== undefined ? RED._('model-predict.errors.missingWindow', parts) : '');
        hints.set(live, hint);
      }
      return hint;
    }

    const deviceOf = (item: unknown): unknown => (item !== null && typeof item === 'object' ? (item as { deviceId?: unknown }).deviceId : undefined);

    node.on('input', (msg: NodeMessage, send, done: DoneFn) => {
      if (configError) return nodeFault(node, done, configError);
      if (!config) return nodeFault(node, done, RED._('model-predict.errors.noConfig'));
      const live = model.model;
      if (!live) return nodeFault(node, done, `${RED._('model-predict.errors.noModel')}: ${model.error ?? RED._('model-predict.status.loading')}`);
      try {
        const driftOut: NodeMessage[] = [];
        if (Array.isArray(msg.payload) && itemProperty !== undefined && msg.payload.length > MAX_BATCH) {
          counts.errors++;
          send([null, rejectMessage(msg, { code: 'too-large', message: `a batch of ${msg.payload.length} payloads is over the ${MAX_BATCH}-payload limit` })]);
        } else if (Array.isArray(msg.payload) && itemProperty !== undefined && msg.payload.length * live.visitsPerPrediction > MODEL_BOUNDS.maxVisitsPerMessage) {
          counts.errors++;
          const visits = msg.payload.length * live.visitsPerPrediction;
          send([null, rejectMessage(msg, { code: 'too-large', message: `a batch of ${msg.payload.length} payloads through this model is up to ${visits} tree-node visits, above the ${MODEL_BOUNDS.maxVisitsPerMessage} one message may cost: send at most ${Math.max(1, Math.floor(MODEL_BOUNDS.maxVisitsPerMessage / live.visitsPerPrediction))} payloads a message` })]);
        } else if (Array.isArray(msg.payload) && itemProperty !== undefined) {
          // A batch: every payload gets its own prediction; bad ones leave alone on output 2.
          const good: unknown[] = [];
          const bad: NodeMessage[] = [];
          msg.payload.forEach((item, index) => {
            const features = item !== null && typeof item === 'object' ? getProperty(item as object, itemProperty) : undefined;
            const result = predictOne(live, features, deviceOf(item), driftOut);
            if (result.ok) good.push({ ...(item as object), prediction: result.prediction });
            else bad.push({ ...msg, payload: item, error: { ...result.error, path: pointer(index) + featuresPointer + result.error.path } });
          });
          counts.predictions += good.length;
          counts.errors += bad.length;
          sendBoth(send, good.length > 0 ? [{ ...msg, payload: good }] : [], bad);
        } else {
          const result = predictOne(live, getProperty(msg, property), deviceOf(msg.payload), driftOut);
          if (result.ok) {
            counts.predictions++;
            const payload = msg.payload !== null && typeof msg.payload === 'object' && !Array.isArray(msg.payload) ? msg.payload : {};
            send([{ ...msg, payload: { ...(payload as object), prediction: result.prediction } }, null]);
          } else {
            counts.errors++;
            send([null, { ...msg, error: { ...result.error, path: featuresPointer + result.error.path } }]);
          }
        }
        // Drift changes go out after the predictions that revealed them, one send per message.
        for (const message of driftOut) send([null, null, message]);
        status.update();
        done();
      } catch (err) {
        done(err as Error);
      }
    });

    node.on('close', (_removed, done) => {
      unsubscribe?.();
      status.close();
      done();
    });
  }
  RED.nodes.registerType('model-predict', ModelPredictNode);
};
