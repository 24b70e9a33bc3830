import { missingFeatureHint, parsePredictConfig, PredictSession, readFeatureVector, type DriftChange, type DriftFlag, type Prediction, type LoadedModel, type PredictOutcome } from '../../core/model';
import type { RuntimeModel } from '../ml-model/onnx-runtime';
import { pointer } from '../../core/util/pointer';
import { MODEL_BOUNDS } from '../../core/model/file/bounds';
import type { MlModelNode, ModelState } from '../ml-model/source';
import type { MonitoredPredictNode as PredictNode } from '../ml-model/sidebar';
import { nodeFault, rejectMessage, shorten } from '../shared/messages';
import { sendBoth } from '../shared/persist';
import type { DoneFn, Node, NodeDef, NodeMessage, RED, SendFn } from '../shared/red';
import { StatusReporter, countsText } from '../shared/status';
import { toBoolean } from '../../core/util/numbers';
import { migrateConfig } from '../shared/migrations';
import { readNodeConfig } from '../shared/config';

/** Most payloads one batch message may carry: each is predicted in turn while the flow waits. */
const MAX_BATCH = 10_000;
/** Messages that wait for an ONNX runtime model (docs/import.md#any-other-onnx-model); more leave on output 2, code `busy`. */
const MAX_RUNTIME_QUEUE = 1000;
/** Drifted feature names shown in the status before "+N". */
const STATUS_FEATURES = 2;

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

    const predictConfig = readNodeConfig(node, parsePredictConfig(def), RED._('model-predict.errors.config'));
    if (predictConfig === undefined) return;
    const session = new PredictSession(
      predictConfig,
      (err) => node.warn(`${RED._('model-predict.errors.noDrift')}: ${err.message}`),
      (reason) => node.warn(`${RED._('model-predict.errors.noExplanation')}: ${reason}`),
    );
    const driftOutput = toBoolean(def.driftOutput, false);
    const counts = { predictions: 0, errors: 0, anomalies: 0 };
    let model: ModelState = { source: '' };

    const status = new StatusReporter(node, () => {
      const live = model.model;
      const named = live ?? model.runtime;
      const version = named ? `${named.name} v${named.version}` : RED._('model-predict.status.noModel');
      const drifted = session.drifted() ?? { streams: 0, features: [] };
      let driftText = '';
      if (drifted.streams > 0) {
        const names = drifted.features;
        driftText =
          ` · ${RED._('model-predict.status.drift')}: ` +
          (session.config.perDevice ? `${drifted.streams} ${RED._('model-predict.status.devices')} ` : '') +
          names.slice(0, STATUS_FEATURES).join(', ') +
          (names.length > STATUS_FEATURES ? ` +${names.length - STATUS_FEATURES}` : '');
      }
      return {
        fill: model.error || counts.errors > 0 || drifted.streams > 0 ? 'yellow' : 'green',
        shape: drifted.streams > 0 ? 'ring' : 'dot',
        text:
          countsText([
            [counts.predictions, RED._('model-predict.status.predictions')],
            [counts.anomalies, RED._('model-predict.status.anomalies')],
            [counts.errors, RED._('model-predict.status.errors')],
          ]) + ` · ${version}${model.error ? ` (${RED._('model-predict.status.reloadFailed')})` : ''}${driftText}`,
      };
    });

    // Read-only, for the editor's IoT AI sidebar (ml-model/sidebar.ts): what this node has predicted and its drift now.
    (node as PredictNode).monitor = () => ({ counts: { ...counts }, drift: session.driftSnapshot(), accuracy: session.liveAccuracy() });
    // The truth, where the flow wires it in with the features (msg.label, else payload.label, as model-train reads
    // labels; in a batch, each payload's label): for live accuracy.
    const labelOf = (item: unknown): unknown => (item !== null && typeof item === 'object' ? (item as { label?: unknown }).label : undefined);

    let unsubscribe: (() => void) | undefined;
    if (!config || typeof config.subscribe !== 'function') {
      status.showFault(RED._('model-predict.errors.noConfig'));
    } else {
      unsubscribe = config.subscribe((state) => {
        model = state;
        // Still loading (the first moments after a deploy) is a wait, not a fault: grey, not red.
        if (state.runtime) {
          session.watch(state.runtime);
          if (session.config.explain > 0) node.warn(`${RED._('model-predict.errors.noExplanation')}: ${RED._('model-predict.errors.graphExplain')}`);
          status.clearFault();
          status.update();
        } else if (!state.model && state.error === undefined) status.showWaiting(RED._('model-predict.status.loading'));
        else if (!state.model) status.showFault(shorten(state.error!));
        else {
          session.watch(state.model);
          status.clearFault();
          status.update();
        }
      });
    }

    /** A prediction, counted when it is an anomaly; a missing feature's error says what the model needs. */
    function predictOne(live: LoadedModel, features: unknown, deviceId: unknown, changes: DriftChange[], end: unknown): PredictOutcome {
      const result = session.predict(live, features, deviceId, changes, end);
      if (result.ok && live.task === 'anomaly' && result.prediction.label === 'anomaly') counts.anomalies++;
      if (!result.ok && result.error.code === 'features' && result.error.message.endsWith(' is missing')) return { ok: false, error: { ...result.error, message: result.error.message + missingHint(live) } };
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

    // An explained prediction walks every node of the forest, not one path: a batch's bound counts that (explain).
    const visitsPer = (live: LoadedModel): number => (predictConfig.explain > 0 ? live.visitsPerExplanation : live.visitsPerPrediction);
    const deviceOf = (item: unknown): unknown => (item !== null && typeof item === 'object' ? (item as { deviceId?: unknown }).deviceId : undefined);
    // A forecast is for the window's end + the model's horizon (`prediction.at`).
    const endOf = (item: unknown): unknown => (item !== null && typeof item === 'object' ? (item as { end?: unknown }).end : undefined);

    // An ONNX graph (onnxruntime-node): its runs are async, so messages queue and leave in the order they came.
    let queue: Promise<void> = Promise.resolve();
    let queued = 0;
    function predictGraph(runtime: RuntimeModel, msg: NodeMessage, send: SendFn, done: DoneFn): void {
      if (queued >= MAX_RUNTIME_QUEUE) {
        counts.errors++;
        send([null, rejectMessage(msg, { code: 'busy', message: `${queued} messages already wait for the model: at most ${MAX_RUNTIME_QUEUE} may` })]);
        status.update();
        return done();
      }
      queued++;
      queue = queue
        .then(() => runGraph(runtime, msg, send))
        .then(() => done(), (err: Error) => done(err))
        .finally(() => {
          queued--;
          status.update();
        });
    }
    async function runGraph(runtime: RuntimeModel, msg: NodeMessage, send: SendFn): Promise<void> {
      const allowMissing = session.config.missing === 'allow';
      const vector = (features: unknown) => readFeatureVector(runtime.featureNames, features, new Float64Array(runtime.featureNames.length), allowMissing);
      const batch = Array.isArray(msg.payload) && itemProperty !== undefined;
      if (batch && (msg.payload as unknown[]).length > MAX_BATCH) {
        counts.errors++;
        return send([null, rejectMessage(msg, { code: 'too-large', message: `a batch of ${(msg.payload as unknown[]).length} payloads is over the ${MAX_BATCH}-payload limit` })]);
      }
      const items: unknown[] = batch ? (msg.payload as unknown[]) : [msg.payload];
      const rows: Float64Array[] = [];
      const good: Array<{ item: unknown; features: unknown; missing?: string[] }> = [];
      const bad: NodeMessage[] = [];
      items.forEach((item, index) => {
        const features = batch ? (item !== null && typeof item === 'object' ? getProperty(item as object, itemProperty as string) : undefined) : getProperty(msg, property);
        const read = vector(features);
        if (read.ok) {
          rows.push(read.row);
          good.push({ item, features, ...(read.missing === undefined ? {} : { missing: read.missing }) });
        } else bad.push(batch ? { ...msg, payload: item, error: { ...read.error, path: pointer(index) + featuresPointer + read.error.path } } : { ...msg, error: { ...read.error, path: featuresPointer + read.error.path } });
      });
      const predictions = await runtime.predict(rows);
      const changes: DriftChange[] = [];
      const predicted = good.map(({ item, features, missing }, r) => {
        const prediction: Prediction & { drift?: DriftFlag } = missing === undefined ? predictions[r] : { ...predictions[r], missing };
        // Drift against the training sketch beside the graph's file (docs/import.md), as for our own models.
        const drift = session.watchDrift(runtime, features, deviceOf(batch ? item : msg.payload), changes);
        if (drift !== undefined) prediction.drift = drift;
        session.scoreTruth(runtime, prediction, batch ? labelOf(item) : (msg.label ?? labelOf(item)));
        const payload = item !== null && typeof item === 'object' && !Array.isArray(item) ? item : {};
        return { ...(payload as object), prediction };
      });
      counts.predictions += predicted.length;
      counts.errors += bad.length;
      if (batch) sendBoth(send, predicted.length > 0 ? [{ ...msg, payload: predicted }] : [], bad);
      else send(predicted.length > 0 ? [{ ...msg, payload: predicted[0] }, null] : [null, bad[0]]);
      if (driftOutput) for (const change of changes) send([null, null, session.driftMessage(runtime, change) as NodeMessage]);
    }

    node.on('input', (msg: NodeMessage, send, done: DoneFn) => {
      if (!config) return nodeFault(node, done, RED._('model-predict.errors.noConfig'));
      if (model.runtime) return predictGraph(model.runtime, msg, send, done);
      const live = model.model;
      if (!live) return nodeFault(node, done, `${RED._('model-predict.errors.noModel')}: ${model.error ?? RED._('model-predict.status.loading')}`);
      try {
        const changes: DriftChange[] = [];
        if (Array.isArray(msg.payload) && itemProperty !== undefined && msg.payload.length > MAX_BATCH) {
          counts.errors++;
          send([null, rejectMessage(msg, { code: 'too-large', message: `a batch of ${msg.payload.length} payloads is over the ${MAX_BATCH}-payload limit` })]);
        } else if (Array.isArray(msg.payload) && itemProperty !== undefined && msg.payload.length * visitsPer(live) > MODEL_BOUNDS.maxVisitsPerMessage) {
          counts.errors++;
          const visits = msg.payload.length * visitsPer(live);
          send([null, rejectMessage(msg, { code: 'too-large', message: `a batch of ${msg.payload.length} payloads through this model is up to ${visits} tree-node visits${predictConfig.explain > 0 ? ' (explained)' : ''}, above the ${MODEL_BOUNDS.maxVisitsPerMessage} one message may cost: send at most ${Math.max(1, Math.floor(MODEL_BOUNDS.maxVisitsPerMessage / visitsPer(live)))} payloads a message` })]);
        } else if (Array.isArray(msg.payload) && itemProperty !== undefined) {
          // A batch: every payload gets its own prediction; bad ones leave alone on output 2.
          const good: unknown[] = [];
          const bad: NodeMessage[] = [];
          msg.payload.forEach((item, index) => {
            const features = item !== null && typeof item === 'object' ? getProperty(item as object, itemProperty) : undefined;
            const result = predictOne(live, features, deviceOf(item), changes, endOf(item));
            if (result.ok) session.scoreTruth(live, result.prediction, labelOf(item));
            if (result.ok) good.push({ ...(item as object), prediction: result.prediction });
            else bad.push({ ...msg, payload: item, error: { ...result.error, path: pointer(index) + featuresPointer + result.error.path } });
          });
          counts.predictions += good.length;
          counts.errors += bad.length;
          sendBoth(send, good.length > 0 ? [{ ...msg, payload: good }] : [], bad);
        } else {
          const result = predictOne(live, getProperty(msg, property), deviceOf(msg.payload), changes, endOf(msg.payload));
          if (result.ok) {
            counts.predictions++;
            session.scoreTruth(live, result.prediction, msg.label ?? labelOf(msg.payload));
            const payload = msg.payload !== null && typeof msg.payload === 'object' && !Array.isArray(msg.payload) ? msg.payload : {};
            send([{ ...msg, payload: { ...(payload as object), prediction: result.prediction } }, null]);
          } else {
            counts.errors++;
            send([null, { ...msg, error: { ...result.error, path: featuresPointer + result.error.path } }]);
          }
        }
        // Drift changes go out after the predictions that revealed them, one send per message.
        if (driftOutput) for (const change of changes) send([null, null, session.driftMessage(live, change) as NodeMessage]);
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
