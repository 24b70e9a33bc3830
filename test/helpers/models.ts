/** Small real models for node tests, trained by the package's own trainer on a separable toy problem. */
import { examplesFromValues, trainModel, type ModelFile } from '../../src/core/model';

/** `hot` when temp.mean > 25, else `cold` (plus a second, useless feature). */
export async function toyClassifier(version = '1.0.0', nTrees = 15): Promise<ModelFile> {
  const rows: Float64Array[] = [];
  const labels: string[] = [];
  for (let i = 0; i < 200; i++) {
    const temp = 10 + (i % 40) * 0.8;
    rows.push(Float64Array.from([temp, (i * 7) % 13]));
    labels.push(temp > 25 ? 'hot' : 'cold');
  }
  const examples = examplesFromValues(['temp.mean', 'noise.mean'], rows, labels, 'classification');
  if (!examples.ok) throw new Error(JSON.stringify(examples.error));
  const { model } = await trainModel(examples.examples, { name: 'toy', version, createdAt: new Date(0), forest: { nTrees, seed: 7 }, testFraction: 0.25 });
  return model;
}
