import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelSummary, parseModelFile, type ModelSummary } from '../../core/model';
import { MODEL_BOUNDS } from '../../core/model/file/bounds';
import { importModel, needsImport } from '../../core/model/import/import-model';
import { detectModel, type DetectedModel } from '../../core/model/import/detect';
import { planOnnxGraph } from '../../core/model/import/onnx-graph';
import { onnxRuntimeInstalled } from './onnx-runtime';
import type { RED } from '../shared/red';
import { registerSidebarEndpoints } from './sidebar';
import { bundledModels, resolveModelPath, type MlModelNode } from './source';

interface Request {
  params: Record<string, string>;
  query: Record<string, unknown>;
}
interface Response {
  json(body: unknown): void;
  status(code: number): Response;
}
/** The summary, with what the file was detected as (#28) where it is a file of the user directory. */
type Answer = { status: number; body: (ModelSummary & { detected?: Detected }) | { error: string; detected?: Detected } };
type Detected = DetectedModel & { runtime?: boolean; problem?: string };
/** The config's Inputs and Labels as the dialog has them now (`a, b, c`), so the file shows as it will load. */
interface ImportFields {
  featureNames: string;
  labels: string;
}
const listOf = (text: string) => text.split(',').map((name) => name.trim()).filter((name) => name !== '');

/**
 * The editor's view of models (docs/nodes/ml-model.md#in-the-editor): a model's features, labels and training
 * window, so the ml-model dialog can show them and set a feature-window up, and actuator-command can offer its
 * labels as rules. Read permission `ml-model.read`. Files are read only from the package's models/ (by bundled
 * name) and from inside the Node-RED user directory; the answer is the summary, never the file.
 */
export function registerModelEndpoints(RED: RED): void {
  const admin = RED.httpAdmin;
  if (admin === undefined) return;
  const allowed = RED.auth?.needsPermission('ml-model.read') ?? ((_req: unknown, _res: unknown, next: () => void) => next());
  const reply = (res: Response, answer: Answer) => res.status(answer.status).json(answer.body);
  const userDir = () => RED.settings.userDir ?? process.cwd();

  // The editor lists the bundled models in the ml-model dialog.
  admin.get('/iot-ai/bundled-models', allowed, (_req: Request, res: Response) => res.json(bundledModels()));

  admin.get('/iot-ai/models/bundled/:name', allowed, (req: Request, res: Response) => {
    const name = String(req.params.name ?? '');
    if (!bundledModels().includes(name)) return reply(res, { status: 404, body: { error: `no bundled model "${name}"` } });
    const resolved = resolveModelPath({ bundled: name }, userDir());
    if (!resolved.ok) return reply(res, { status: 400, body: { error: resolved.error } });
    void summaryOfFile(resolved.config.file, name).then((answer) => reply(res, answer));
  });

  // ?path= as the ml-model's path property: relative to the user directory, and only inside it.
  admin.get('/iot-ai/models/file', allowed, (req: Request, res: Response) => {
    const relative = typeof req.query.path === 'string' ? req.query.path.trim() : '';
    if (relative === '' || relative.includes('\0')) return reply(res, { status: 400, body: { error: 'path is required' } });
    const inside = insideDirectory(userDir(), relative);
    if (inside === undefined) return reply(res, { status: 403, body: { error: 'only model files inside the Node-RED user directory are shown' } });
    const field = (name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string).slice(0, 100_000) : '');
    void summaryOfFile(inside, relative, { featureNames: field('featureNames'), labels: field('labels') }, userDir()).then((answer) => reply(res, answer));
  });

  // A deployed ml-model config: its live model (a seed, an import or a retrained version included).
  admin.get('/iot-ai/models/node/:id', allowed, (req: Request, res: Response) => {
    const config = RED.nodes.getNode(String(req.params.id ?? '')) as (MlModelNode & { type?: string }) | null;
    if (config === null || config.type !== 'ml-model') return reply(res, { status: 404, body: { error: 'no deployed ml-model with this id' } });
    const live = config.state().model;
    if (live === undefined) return reply(res, { status: 404, body: { error: config.state().error ?? 'no model is loaded' } });
    reply(res, { status: 200, body: modelSummary(live.file) });
  });

  // The editor's IoT AI sidebar: deployed models, their versions and rollback (sidebar.ts).
  registerSidebarEndpoints(RED);
}

/** The real path of `relative` under `directory` (links followed), or undefined when it leads outside. */
function insideDirectory(directory: string, relative: string): string | undefined {
  let root: string;
  let target: string;
  try {
    root = fs.realpathSync(directory);
    target = fs.realpathSync(path.resolve(directory, relative));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    // A file that does not exist yet is reported as missing, if its path stays inside.
    const lexical = path.resolve(directory, relative);
    const base = path.resolve(directory);
    return lexical.startsWith(base + path.sep) ? lexical : undefined;
  }
  return target.startsWith(root + path.sep) ? target : undefined;
}

async function summaryOfFile(file: string, shown: string, fields?: ImportFields, userDir?: string): Promise<Answer> {
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) return { status: 404, body: { error: `${shown} is not a file` } };
    if (stat.size > MODEL_BOUNDS.maxModelBytes) return { status: 413, body: { error: `${shown} is larger than a model file may be` } };
    const bytes = await fs.promises.readFile(file);
    // What the file is (kind, task, trees, features, labels, what the dialog must ask for): user-directory files only.
    const found = fields === undefined ? undefined : detectModel(bytes, file);
    const detected: Detected | undefined = found?.ok ? found.detected : undefined;
    if (detected?.kind === 'onnx-graph' && fields !== undefined) return graphSummary(bytes, shown, detected, fields, userDir ?? '');
    const labels = fields === undefined ? [] : listOf(fields.labels);
    const featureNames = fields === undefined ? [] : listOf(fields.featureNames);
    // A model of another library (XGBoost's JSON) is shown as it converts (docs/import.md); its errors name no file content.
    const parsed = needsImport(bytes, file) ? importModel(bytes, { fileName: file, featureNames, labels }) : parseModelFile(bytes);
    // JSON.parse's message quotes the text near the fault: any file of the user directory could be named, so not that.
    if (!parsed.ok) return { status: 422, body: { error: `${shown} is not a model file this palette reads${parsed.error.startsWith('model file is not valid JSON') ? ' (not valid JSON)' : `: ${parsed.error}`}`, ...(detected === undefined ? {} : { detected }) } };
    return { status: 200, body: { ...modelSummary(parsed.model), ...(detected === undefined ? {} : { detected }) } };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { status: code === 'ENOENT' ? 404 : 500, body: { error: code === 'ENOENT' ? `${shown} does not exist (yet)` : `cannot read ${shown}` } };
  }
}

/** An ONNX graph (onnxruntime-node): its inputs and task as the config's Inputs and Labels plan them, whether the runtime is installed. */
function graphSummary(bytes: Uint8Array, shown: string, detected: Detected, fields: ImportFields, userDir: string): Answer {
  const plan = planOnnxGraph(bytes, { featureSpec: fields.featureNames, labels: listOf(fields.labels) });
  const runtime = onnxRuntimeInstalled(userDir);
  const summary: ModelSummary = {
    name: path.basename(shown).replace(/\.onnx$/i, ''),
    version: '1',
    task: plan.ok ? plan.plan.task : ((detected.task ?? 'regression') as ModelSummary['task']),
    createdAt: '',
    featureNames: plan.ok ? plan.plan.featureNames : [],
    ...(plan.ok && plan.plan.labels !== undefined ? { labels: plan.plan.labels } : {}),
  };
  return { status: 200, body: { ...summary, detected: { ...detected, runtime, ...(plan.ok ? {} : { problem: plan.error }) } } };
}
