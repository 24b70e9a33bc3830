import type { Prediction } from '../../core/model';
import type { MlModelNode, ModelState } from '../ml-model/source';
import { nodeFault, rejectMessage, shorten } from '../shared/messages';
import { sendBoth } from '../shared/persist';
import type { DoneFn, Node, NodeDef, NodeMessage, RED } from '../shared/red';
import { StatusReporter, countsText } from '../shared/status';

/** Most payloads one batch message may carry: each is predicted in turn while the flow waits. */
const MAX_BATCH = 10_000;

/** Node-RED glue for model-predict: features in, `payload.prediction` out, from the model of an ml-model config. */
export = function register(RED: RED): void {
  function ModelPredictNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = RED.nodes.getNode(String(def.model ?? '')) as MlModelNode | null;
    // Where the features are: a message property, `payload.features` by default.
    const property = typeof def.property === 'string' && def.property.trim() !== '' ? def.property.trim() : 'payload.features';
    const itemProperty = property.startsWith('payload.') ? property.slice('payload.'.length) : undefined;
    const getMessageProperty = RED.util.getMessageProperty as (msg: object, expr: string) => unknown;
    // Node-RED's reader throws when a step of the path is null or missing: that is a missing feature, not a fault.
    const getProperty = (source: object, expr: string): unknown => {
      try {
        return getMessageProperty(source, expr);
      } catch {
        return undefined;
      }
    };
    const counts = { predictions: 0, errors: 0 };
    let model: ModelState = { source: '' };

    const status = new StatusReporter(node, () => {
      const live = model.model;
      const version = live ? `${live.name} v${live.version}` : RED._('model-predict.status.noModel');
      return {
        fill: model.error ? 'yellow' : counts.errors > 0 ? 'yellow' : 'green',
        shape: 'dot',
        text: countsText([
          [counts.predictions, RED._('model-predict.status.predictions')],
          [counts.errors, RED._('model-predict.status.errors')],
        ]) + ` · ${version}${model.error ? ` (${RED._('model-predict.status.reloadFailed')})` : ''}`,
      };
    });

    let unsubscribe: (() => void) | undefined;
    if (!config || typeof config.subscribe !== 'function') {
      status.showFault(RED._('model-predict.errors.noConfig'));
    } else {
      unsubscribe = config.subscribe((state) => {
        model = state;
        if (!state.model) status.showFault(shorten(state.error ?? RED._('model-predict.status.loading')));
        else {
          status.clearFault();
          status.update();
        }
      });
    }

    const predictOne = (features: unknown): { ok: true; prediction: Prediction } | { ok: false; error: { code: string; message: string; path: string } } =>
      model.model!.predict(features);

    node.on('input', (msg: NodeMessage, send, done: DoneFn) => {
      if (!config) return nodeFault(node, done, RED._('model-predict.errors.noConfig'));
      if (!model.model) return nodeFault(node, done, `${RED._('model-predict.errors.noModel')}: ${model.error ?? RED._('model-predict.status.loading')}`);
      try {
        if (Array.isArray(msg.payload) && itemProperty !== undefined && msg.payload.length > MAX_BATCH) {
          counts.errors++;
          send([null, rejectMessage(msg, { code: 'too-large', message: `a batch of ${msg.payload.length} payloads is over the ${MAX_BATCH}-payload limit` })]);
        } else if (Array.isArray(msg.payload) && itemProperty !== undefined) {
          // A batch: every payload gets its own prediction; bad ones leave alone on output 2.
          const good: unknown[] = [];
          const bad: NodeMessage[] = [];
          msg.payload.forEach((item, index) => {
            const features = item !== null && typeof item === 'object' ? getProperty(item as object, itemProperty) : undefined;
            const result = predictOne(features);
            if (result.ok) good.push({ ...(item as object), prediction: result.prediction });
            else bad.push({ ...msg, payload: item, error: { ...result.error, path: `/${index}${itemProperty.split('.').map((p) => '/' + p).join('')}${result.error.path}` } });
          });
          counts.predictions += good.length;
          counts.errors += bad.length;
          sendBoth(send, good.length > 0 ? [{ ...msg, payload: good }] : [], bad);
        } else {
          const result = predictOne(getProperty(msg, property));
          if (result.ok) {
            counts.predictions++;
            const payload = msg.payload !== null && typeof msg.payload === 'object' && !Array.isArray(msg.payload) ? msg.payload : {};
            send([{ ...msg, payload: { ...(payload as object), prediction: result.prediction } }, null]);
          } else {
            counts.errors++;
            const at = itemProperty === undefined ? '' : itemProperty.split('.').map((p) => '/' + p).join('');
            send([null, { ...msg, error: { ...result.error, path: at + result.error.path } }]);
          }
        }
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
