/**
 * Drift monitoring for an ONNX graph run by onnxruntime-node (#28). The graph's file is the user's and is never
 * written, so its training sketch (monitor/sketch.ts, the `sketch` section of our own model file) lives beside it:
 * `<graph file>.sketch.json` (`model.onnx` → `model.onnx.sketch.json`), written by
 * `iot-ai import model.onnx --sketch TRAIN.csv --features a,b,...` and read by ml-model with the graph.
 * docs/import.md#drift-monitoring-for-a-graph.
 */
import { describeSchemaError, sketchValidator } from '../file/schema';
import { checkFeatureSketch, type FeatureSketch } from '../monitor/sketch';

/** What names a graph's sketch file: the graph's own file name with this after it. */
export const GRAPH_SKETCH_SUFFIX = '.sketch.json';
/** A sketch is a few hundred bytes a feature: anything near this is not one. */
export const MAX_GRAPH_SKETCH_BYTES = 16 * 1024 * 1024;

/** Where ml-model looks for the sketch of the graph at `graphFile`. */
export const graphSketchPath = (graphFile: string): string => graphFile + GRAPH_SKETCH_SUFFIX;

/** The sketch file's text: the head on one line, then one feature a line (as in a model file). */
export function serializeGraphSketch(sketch: FeatureSketch): string {
  const { features, ...head } = sketch;
  return `${JSON.stringify(head).slice(0, -1)},\n  "features": [\n${features.map((f) => `    ${JSON.stringify(f)}`).join(',\n')}\n  ]\n}\n`;
}

const names = (list: readonly string[]): string => list.map((name) => JSON.stringify(name)).join(', ');

/**
 * Reads a graph's sketch file and checks it against the graph's features (ml-model's Inputs, in the order of the
 * graph's input columns): the same names in the same order, else why not. Never throws.
 */
export function parseGraphSketch(input: string | Uint8Array, featureNames: readonly string[]): { ok: true; sketch: FeatureSketch } | { ok: false; error: string } {
  if (input.length > MAX_GRAPH_SKETCH_BYTES) return { ok: false, error: `more than ${MAX_GRAPH_SKETCH_BYTES} bytes: not a training sketch` };
  let data: unknown;
  try {
    data = JSON.parse(typeof input === 'string' ? input : new TextDecoder().decode(input));
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const validate = sketchValidator();
  if (!validate(data)) return { ok: false, error: `not a training sketch: ${validate.errors?.[0] ? describeSchemaError(validate.errors[0]) : 'invalid'}` };
  const sketch = data as FeatureSketch;
  const sketched = sketch.features.map((feature) => feature.name);
  const absent = featureNames.filter((name) => !sketched.includes(name));
  const extra = sketched.filter((name) => !featureNames.includes(name));
  if (absent.length > 0 || extra.length > 0 || sketched.some((name, f) => name !== featureNames[f])) {
    const why = [absent.length > 0 ? `it lacks ${names(absent)}` : '', extra.length > 0 ? `it has ${names(extra)}, which the graph does not read` : '', absent.length + extra.length === 0 ? 'in another order' : ''].filter((part) => part !== '').join('; ');
    return { ok: false, error: `its features (${sketched.join(', ')}) are not the graph's inputs (${featureNames.join(', ')}): ${why}. Make it again with iot-ai import GRAPH.onnx --sketch TRAIN.csv --features ${featureNames.join(',')}` };
  }
  const problem = checkFeatureSketch(sketch, featureNames);
  return problem === null ? { ok: true, sketch } : { ok: false, error: problem };
}
