/**
 * What a model file is, for the ml-model dialog (#28): our own model, XGBoost, an ONNX tree ensemble, an ONNX graph
 * that onnxruntime-node runs, LightGBM; its task, trees, features and labels, and what the user must still give
 * (the features' names where the file has none, the classes' labels where it numbers them).
 */
import type { Label, ModelFile } from '../file/model-file';
import { importModel } from './import-model';
import { describeOnnxGraph, onnxKind } from './onnx-graph';

export type DetectedKind = 'iot-ai' | 'xgboost' | 'onnx-trees' | 'onnx-graph' | 'lightgbm' | 'other';

export interface DetectedModel {
  kind: DetectedKind;
  task?: string;
  trees?: number;
  /** How many inputs the model reads (null: the file does not say). */
  features: number | null;
  /** The inputs' names where the file has them. */
  featureNames?: string[];
  labels?: Label[];
  /** An ONNX graph's inputs and their shapes, as `input [batch, 4]`. */
  inputs?: string;
  /** What the ml-model config must give: `featureNames` (the file names no inputs), `labels` (it numbers its classes). */
  needs: Array<'featureNames' | 'labels'>;
}

const KINDS: Record<string, DetectedKind> = { xgboost: 'xgboost', onnx: 'onnx-trees', lightgbm: 'lightgbm' };

function treesOf(file: ModelFile): number | undefined {
  const forest = file.forest as { trees?: unknown[]; baseModel?: { estimators?: unknown[] } } | undefined;
  return forest?.trees?.length ?? forest?.baseModel?.estimators?.length;
}

/** Detects a model file; never throws. The error is the importer's where the file is none of these. */
export function detectModel(bytes: Uint8Array, fileName?: string): { ok: true; detected: DetectedModel } | { ok: false; error: string } {
  if (onnxKind(bytes, fileName) === 'graph') {
    try {
      const graph = describeOnnxGraph(bytes);
      return { ok: true, detected: { kind: 'onnx-graph', ...(graph.task === undefined ? {} : { task: graph.task }), features: graph.features, inputs: graph.inputs, needs: graph.task === 'classification' ? ['featureNames', 'labels'] : ['featureNames'] } };
    } catch (err) {
      return { ok: false, error: `not a readable ONNX model: ${(err as Error).message}` };
    }
  }
  const needs: DetectedModel['needs'] = [];
  let imported = importModel(bytes, { fileName, createdAt: new Date(0).toISOString() });
  // A file that does not name its inputs: detected with stand-in names, and the dialog asks for the real ones.
  const unnamed = imported.ok ? null : /does not name its (\d+) inputs/.exec(imported.error);
  if (unnamed !== null) {
    needs.push('featureNames');
    imported = importModel(bytes, { fileName, createdAt: new Date(0).toISOString(), featureNames: Array.from({ length: Number(unnamed[1]) }, (_, f) => `f${f}`) });
  }
  if (!imported.ok) return imported;
  const file = imported.model;
  const library = imported.converted ? String(file.source?.library ?? '') : '';
  const labels = file.labels;
  // A converted classifier whose labels are its class numbers: the dialog offers to name them.
  if (imported.converted && file.task === 'classification' && labels !== undefined && labels.every((label, k) => label === k)) needs.push('labels');
  const trees = treesOf(file);
  return {
    ok: true,
    detected: {
      kind: imported.converted ? (KINDS[library] ?? 'other') : 'iot-ai',
      task: file.task,
      ...(trees === undefined ? {} : { trees }),
      features: file.featureNames.length,
      ...(needs.includes('featureNames') ? {} : { featureNames: [...file.featureNames] }),
      ...(labels === undefined ? {} : { labels: [...labels] }),
      needs,
    },
  };
}
