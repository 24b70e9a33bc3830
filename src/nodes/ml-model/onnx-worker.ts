/**
 * A worker thread that holds its own onnxruntime-node session of an ONNX graph (onnx-runtime.ts): onnxruntime-node's
 * `run` is one synchronous native call (in a setImmediate), so a long run would stall Node-RED's event loop; here
 * it stalls only this thread. Messages: `{ id, feeds, fetch }` in, `{ id, outputs }` or `{ id, error }` out.
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { SESSION_OPTIONS, type OrtModule } from './onnx-runtime';

interface Job {
  id: number;
  feeds: Record<string, { type: 'float32' | 'float64'; data: Float32Array | Float64Array; dims: number[] }>;
  fetch: string[];
}

const { from, bytes } = workerData as { from: string; bytes: Uint8Array };
const ort = createRequire(from)('onnxruntime-node') as OrtModule;
const session = ort.InferenceSession.create(bytes, SESSION_OPTIONS);

parentPort?.on('message', (job: Job) => {
  void (async () => {
    try {
      const feeds = Object.fromEntries(Object.entries(job.feeds).map(([name, t]) => [name, new ort.Tensor(t.type, t.data, t.dims)]));
      const outputs = await (await session).run(feeds, job.fetch);
      const plain = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, { data: t.data, dims: [...t.dims] }]));
      parentPort?.postMessage({ id: job.id, outputs: plain });
    } catch (err) {
      parentPort?.postMessage({ id: job.id, error: (err as Error).message });
    }
  })();
});
