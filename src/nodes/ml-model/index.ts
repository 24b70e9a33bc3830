import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ModelFile } from '../../core/model';
import { loadAnyModel } from '../../core/model/import/import-model';
import { GRAPH_SKETCH_SUFFIX, graphSketchPath, parseGraphSketch } from '../../core/model/import/graph-sketch';
import { onnxKind, planOnnxGraph, runsAsGraph } from '../../core/model/import/onnx-graph';
import { installCommand, requireOnnxRuntime, RuntimeModel } from './onnx-runtime';
import { ModelHome } from '../../core/model/file/model-home';
import { MODEL_BOUNDS } from '../../core/model/file/bounds';
import type { Node, NodeDef, RED } from '../shared/red';
import { registerModelEndpoints } from './admin';
import { resolveModelPath, type MlModelNode, type ModelState } from './source';
import { migrateConfig } from '../shared/migrations';

const RELOAD_DEBOUNCE_MS = 150;
/** How often a missing model folder is looked for (then watched). */
const FOLDER_POLL_MS = 1000;
/** How long a replaced ONNX runtime session lives on for the messages already running on it. */
const GRAPH_RELEASE_MS = 10_000;

/** The ml-model config node: one model file, loaded, checked, compiled, hot-reloaded; shared by its users. */
export = function register(RED: RED): void {
  function MlModelConfigNode(this: MlModelNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    // A flow saved before a property existed: it takes the value it had then (shared/migrations.ts).
    def = migrateConfig(def);
    const node = this;
    const userDir = RED.settings.userDir ?? process.cwd();
    const source = resolveModelPath(def as { path?: unknown; bundled?: unknown }, userDir);
    // A bad path is no model: each user (model-predict, model-train) shows the error and refuses its messages.
    const resolved = source.ok ? source.config : undefined;
    const pathError = source.ok ? '' : source.error;
    // Imported models (#28): the inputs of a file that does not name them, in the model's order ("a, b, c").
    const list = (value: unknown) => (typeof value === 'string' ? value.split(',').map((name) => name.trim()).filter((name) => name !== '') : []);
    const importFeatureNames = list(def.featureNames);
    // ... and the label of its class 0, 1, … ("empty, occupied"); without it the classes are named 0, 1, ….
    const importLabels = list(def.labels);
    // One createdAt per deploy for a converted file, so reloading the same file gives the same model.
    const importedAt = new Date().toISOString();
    const listeners = new Set<(state: ModelState) => void>();
    let current: ModelState = { source: resolved === undefined ? '' : resolved.file };
    let watcher: fs.FSWatcher | undefined;
    let reloadTimer: NodeJS.Timeout | undefined;
    let closed = false;

    const publish = (next: ModelState) => {
      const replaced = current.runtime;
      // A replaced ONNX session (a new file, or a model of ours now) goes once the runs already on it are done.
      if (replaced !== undefined && next.runtime !== replaced) setTimeout(() => void replaced.release().catch(() => undefined), GRAPH_RELEASE_MS).unref();
      current = next;
      for (const listener of listeners) listener(current);
    };

    // Loading must never reject: an unhandled rejection would take Node-RED down with it.
    const load = (): Promise<void> => loadFile().catch((err: Error) => fail(`${path.basename(node.filePath())}: ${err.message}`));
    const loadFile = async (): Promise<void> => {
      if (resolved === undefined) return publish({ source: '', error: pathError });
      let text: Buffer;
      try {
        // Not read into memory at all when it is larger than any model file may be (ours or another library's).
        const size = (await fs.promises.stat(resolved.file)).size;
        if (size > MODEL_BOUNDS.maxModelBytes) return fail(`${path.basename(resolved.file)} is ${size} bytes, over the ${MODEL_BOUNDS.maxModelBytes}-byte limit of a model file`);
        text = await fs.promises.readFile(resolved.file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // No file yet at the path (nothing trained so far): start from the bundled seed model, if one is set.
        if (code === 'ENOENT' && resolved.seed && !current.model) text = await fs.promises.readFile(resolved.seed).catch(() => Buffer.alloc(0));
        else return fail(`cannot read ${resolved.file}: ${code ?? (err as Error).message}`);
        if (text.length === 0) return fail(`cannot read ${resolved.file} nor its seed ${resolved.seed}`);
      }
      if (closed) return;
      // A model of another library (XGBoost's JSON) is converted here, exactly (docs/import.md); its version and
      // name come from the file's name unless it is imported with iot-ai import first.
      // Any other ONNX graph (a neural network; trees with a scaler before them) runs through onnxruntime-node.
      const kind = onnxKind(text, resolved.file);
      const loaded = kind === 'graph' ? undefined : loadAnyModel(text, { fileName: resolved.file, featureNames: importFeatureNames, labels: importLabels, createdAt: importedAt });
      if (runsAsGraph(kind, loaded?.ok === false ? loaded.error : undefined)) return loadGraph(text, resolved.file);
      if (loaded === undefined) return;
      if (!loaded.ok) return fail(`${path.basename(resolved.file)}: ${loaded.error}`);
      if (current.model && current.model.version !== loaded.model.version) {
        node.log(RED._('ml-model.log.switched', { name: loaded.model.name, from: current.model.version, to: loaded.model.version }));
      }
      publish({ source: resolved.file, model: loaded.model });
    };
    const loadGraph = async (bytes: Uint8Array, file: string): Promise<void> => {
      const base = path.basename(file);
      const plan = planOnnxGraph(bytes, { featureSpec: typeof def.featureNames === 'string' ? def.featureNames : '', labels: importLabels });
      if (!plan.ok) return fail(`${base}: ${plan.error}`);
      let runtimeFound;
      try {
        runtimeFound = requireOnnxRuntime(userDir);
      } catch (err) {
        return fail(`${base}: ${RED._('ml-model.errors.runtimeBroken', { error: (err as Error).message })}`);
      }
      if (runtimeFound === undefined) return fail(`${base}: ${RED._('ml-model.errors.noRuntime')}: ${installCommand(userDir)}`);
      // Its training sketch, for drift monitoring, where iot-ai import --sketch wrote it: none is no monitoring.
      const sketchFile = graphSketchPath(file);
      const sketchBytes = await fs.promises.readFile(sketchFile).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw new Error(`cannot read ${path.basename(sketchFile)}: ${err.code ?? err.message}`);
      });
      const sketch = sketchBytes === undefined ? undefined : parseGraphSketch(sketchBytes, plan.plan.featureNames);
      if (sketch !== undefined && !sketch.ok) return fail(`${path.basename(sketchFile)}: ${RED._('ml-model.errors.graphSketch')}: ${sketch.error}`);
      if (closed) return;
      const runtime = await RuntimeModel.load(runtimeFound, bytes, plan.plan, { name: base.replace(/\.onnx$/i, ''), version: '1', ...(sketch === undefined ? {} : { sketch: sketch.sketch }) });
      if (closed) return void runtime.release().catch(() => undefined);
      publish({ source: file, runtime });
    };
    // A bad or half-written file is refused; the last good model stays live.
    const fail = (error: string) => {
      node.error(RED._('ml-model.errors.load', { error }));
      publish({ ...current, error });
    };

    node.state = () => current;
    node.filePath = () => (resolved === undefined ? '' : resolved.file);
    node.subscribe = (listener) => {
      listeners.add(listener);
      listener(current);
      return () => listeners.delete(listener);
    };
    node.readOnly = () => (resolved === undefined ? undefined : resolved.readOnly);
    // The file, its lock and its version archive (core/model/file/model-home.ts): every write goes through it.
    const home =
      resolved === undefined
        ? undefined
        : new ModelHome({
            file: resolved.file,
            readOnly: resolved.readOnly,
            inMemory: () => current.model?.file,
            written: async (file: ModelFile) => {
              await load();
              if (current.error && current.model?.version !== file.version) throw new Error(current.error);
            },
          });
    node.replace = (file: ModelFile) => (home ? home.write(file) : Promise.reject(new Error(pathError)));
    node.versions = (keepVersions: number) => {
      if (!home) throw new Error(pathError);
      return home.versions(keepVersions);
    };

    const started = load();
    /** While the model file's folder does not exist yet (nothing trained so far): looked for every second, quietly. */
    let folderPoll: NodeJS.Timeout | undefined;
    if (def.watch === true || def.watch === 'true') {
      if (resolved !== undefined) {
        // Watch the folder, not the file: an atomic write replaces the file (rename), which ends a file watch.
        const dir = path.dirname(resolved.file);
        const base = path.basename(resolved.file);
        const reloadSoon = () => {
          if (reloadTimer) clearTimeout(reloadTimer);
          reloadTimer = setTimeout(() => {
            reloadTimer = undefined;
            void load();
          }, RELOAD_DEBOUNCE_MS);
        };
        const watchFolder = (): boolean => {
          try {
            watcher = fs.watch(dir, (_event, changed) => {
              // (A graph's training sketch beside it counts as part of it.)
              if (changed !== null && changed !== base && changed !== base + GRAPH_SKETCH_SUFFIX) return;
              reloadSoon();
            });
            watcher.on('error', (err) => node.warn(RED._('ml-model.errors.watch', { error: err.message })));
            return true;
          } catch (err) {
            // No folder yet (a live model before its first training, as in the examples): not a fault. Wait for it.
            if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
            node.warn(RED._('ml-model.errors.watch', { error: (err as Error).message }));
            return true;
          }
        };
        void started.finally(() => {
          if (closed || watchFolder()) return;
          folderPoll = setInterval(() => {
            if (closed || !fs.existsSync(dir) || !watchFolder()) return;
            clearInterval(folderPoll);
            folderPoll = undefined;
            // The file may have been written with the folder, before the watch began.
            if (fs.existsSync(resolved.file)) reloadSoon();
          }, FOLDER_POLL_MS);
          folderPoll.unref?.();
        });
      }
    }

    node.on('close', (_removed, done) => {
      closed = true;
      void current.runtime?.release().catch(() => undefined);
      watcher?.close();
      if (folderPoll) clearInterval(folderPoll);
      if (reloadTimer) clearTimeout(reloadTimer);
      listeners.clear();
      done();
    });
  }
  RED.nodes.registerType('ml-model', MlModelConfigNode as unknown as (this: Node, def: NodeDef) => void);

  registerModelEndpoints(RED);
};
