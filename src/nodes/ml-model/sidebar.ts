import { modelSummary, type DriftSnapshot, type LiveAccuracySnapshot, type ModelSummary } from '../../core/model';
import { parseTrainConfig } from '../../core/model/train/train-config';
import { migrateConfig } from '../shared/migrations';
import type { Node, NodeDef, RED } from '../shared/red';
import type { MlModelNode } from './source';

/** A deployed model-predict as the sidebar reads it (model-predict/index.ts sets `monitor`). */
export interface MonitoredPredictNode extends Node {
  monitor(): { counts: { predictions: number; errors: number; anomalies: number }; drift: DriftSnapshot; accuracy: LiveAccuracySnapshot };
}

interface Request {
  params: Record<string, string>;
  body?: unknown;
}
interface Response {
  json(body: unknown): void;
  status(code: number): Response;
}

/** The longest version string a rollback request may name (versions are short: `1.0.3`, `2026.12.07-1`). */
const MAX_VERSION_LENGTH = 200;

/** What the sidebar shows of one deployed ml-model config. */
export interface DeployedModel {
  id: string;
  /** The config's label in the editor: its name, else the bundled name or path. */
  label: string;
  bundled: string;
  path: string;
  /** Why its file is never written (a bundled model): no rollback then. */
  readOnly?: string;
  /** The last load problem (the previous good model, if any, stays live). */
  error?: string;
  /** What the ml-model dialog shows of it, with its held-out metrics and importances (never the trees). */
  model?: ModelSummary & { metrics: Record<string, unknown>; importances?: Record<string, number>; horizon?: number };
  /** The model-predict nodes using it: their counts, drift and live accuracy now. */
  predictors: Array<{ id: string; name: string } & Partial<ReturnType<MonitoredPredictNode['monitor']>>>;
  /** The model-train nodes writing it. */
  trainers: Array<{ id: string; name: string }>;
}

type Each = (callback: (def: NodeDef) => void) => void;

/**
 * The editor's IoT AI sidebar (docs/nodes/ml-model.md#the-iot-ai-sidebar): the deployed ml-model configs with
 * their live model, metrics and drift; each one's saved versions; a rollback to one of them. Reading needs
 * `ml-model.read`, a rollback `ml-model.write` (Node-RED's adminAuth: a user with `read` only may look, not roll back).
 */
export function registerSidebarEndpoints(RED: RED): void {
  const admin = RED.httpAdmin;
  if (admin === undefined) return;
  const pass = (_req: unknown, _res: unknown, next: () => void) => next();
  const canRead = RED.auth?.needsPermission('ml-model.read') ?? pass;
  const canWrite = RED.auth?.needsPermission('ml-model.write') ?? pass;
  const eachNode: Each = (callback) => (RED.nodes as unknown as { eachNode?: Each }).eachNode?.(callback);
  const fail = (res: Response, status: number, error: string) => res.status(status).json({ error });

  admin.get('/iot-ai/models/deployed', canRead, (_req: Request, res: Response) => {
    const models: DeployedModel[] = [];
    eachNode((def) => {
      if (def.type !== 'ml-model') return;
      const config = liveConfig(RED, def.id);
      if (config !== undefined) models.push(describe(RED, eachNode, def, config));
    });
    models.sort((a, b) => a.label.localeCompare(b.label));
    res.json({ models });
  });

  admin.get('/iot-ai/models/deployed/:id/versions', canRead, (req: Request, res: Response) => {
    const config = liveConfig(RED, String(req.params.id ?? ''));
    if (config === undefined) return fail(res, 404, 'no deployed ml-model with this id');
    const live = config.state().model;
    const readOnly = config.readOnly();
    if (readOnly !== undefined || config.filePath() === '') return res.json({ live: live?.version, readOnly: readOnly ?? config.state().error ?? '', versions: [] });
    config
      .versions(keepVersions(eachNode, config.id))
      .list()
      .then(
        (versions) => res.json({ live: live?.version, versions: versions.map((v) => ({ version: v.version, pinned: v.pinned, beforeRun: v.beforeRun })) }),
        (err: Error) => fail(res, 500, `cannot read the saved versions: ${err.message}`),
      );
  });

  // The same rollback as model-train's msg.rollback (core/model/file/archive.ts): the replaced model is archived first,
  // a training that started before it is refused when it ends, and every model-predict switches at once.
  admin.post('/iot-ai/models/deployed/:id/rollback', canWrite, (req: Request, res: Response) => {
    const config = liveConfig(RED, String(req.params.id ?? ''));
    if (config === undefined) return fail(res, 404, 'no deployed ml-model with this id');
    const body = req.body !== null && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
    const version = body.version;
    if (version !== undefined && (typeof version !== 'string' || version === '' || version.length > MAX_VERSION_LENGTH)) {
      return fail(res, 400, 'version must be the name of a saved version');
    }
    const readOnly = config.readOnly();
    if (readOnly !== undefined) return fail(res, 409, readOnly);
    if (config.filePath() === '') return fail(res, 409, config.state().error ?? 'this ml-model has no model file');
    config
      .versions(keepVersions(eachNode, config.id))
      .rollback(version)
      .then(
        (outcome) => {
          if (!outcome.ok) return fail(res, 409, outcome.message);
          res.json({ rolledBack: { name: outcome.model.name, version: outcome.model.version }, ...(outcome.replaced !== undefined ? { replaced: outcome.replaced } : {}) });
        },
        (err: Error) => fail(res, 500, `rollback failed: ${err.message}`),
      );
  });
}

function liveConfig(RED: RED, id: string): MlModelNode | undefined {
  const node = RED.nodes.getNode(id) as (MlModelNode & { type?: string }) | null;
  return node !== null && node.type === 'ml-model' && typeof node.state === 'function' ? node : undefined;
}

/**
 * The versions a rollback keeps: the largest `keepVersions` of the model-train nodes writing this file (each prunes
 * to its own on its next publish), or all of them when none does.
 */
function keepVersions(eachNode: Each, configId: string): number {
  let keep: number | undefined;
  eachNode((def) => {
    if (def.type !== 'model-train' || def.model !== configId) return;
    const parsed = parseTrainConfig(migrateConfig(def));
    if (parsed.ok) keep = Math.max(keep ?? 0, parsed.config.keepVersions);
  });
  return keep ?? Infinity;
}

function describe(RED: RED, eachNode: Each, def: NodeDef, config: MlModelNode): DeployedModel {
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const state = config.state();
  const file = state.model?.file;
  const predictors: DeployedModel['predictors'] = [];
  const trainers: DeployedModel['trainers'] = [];
  eachNode((user) => {
    if (user.model !== def.id) return;
    const name = text(user.name) || user.id;
    if (user.type === 'model-train') trainers.push({ id: user.id, name });
    if (user.type !== 'model-predict') return;
    const node = RED.nodes.getNode(user.id) as Partial<MonitoredPredictNode> | null;
    // A disabled node (or flow) is not running: it has no counts.
    predictors.push({ id: user.id, name, ...(node !== null && typeof node.monitor === 'function' ? node.monitor() : {}) });
  });
  const readOnly = config.readOnly();
  return {
    id: def.id,
    label: text(def.name) || text(def.bundled) || text(def.path) || def.id,
    bundled: text(def.bundled),
    path: text(def.path),
    ...(readOnly !== undefined ? { readOnly } : {}),
    ...(state.error !== undefined ? { error: state.error } : {}),
    ...(file !== undefined
      ? {
          model: {
            ...modelSummary(file),
            metrics: file.metrics,
            ...(file.importances !== undefined ? { importances: file.importances } : {}),
            ...(file.horizon !== undefined ? { horizon: file.horizon } : {}),
          },
        }
      : {}),
    predictors,
    trainers,
  };
}
