/**
 * Bounds on the work a model's settings allow (issue #27.6), shared by model-train (what it may write),
 * ml-model (what it loads) and model-predict (what one message may cost). Figures: docs/reliability.md,
 * "Bounded work per config".
 */
export const MODEL_BOUNDS = {
  /**
   * Most tree nodes a loaded model may hold, all forests together (shared part and per-device parts): loading
   * takes the event loop about 0.7 s a million nodes. Per-device isolation forests at model-train's defaults (50
   * trees × 100 devices × at most 511 nodes) must fit.
   */
  maxModelNodes: 3_000_000,
  /** Most bytes of model file text read at all: refused before parsing. */
  maxModelBytes: 128 * 1024 * 1024,
  /** model-train: most samples kept. */
  maxSamples: 1_000_000,
  /** model-train: deepest tree (0 still means unlimited, which the samples bound). */
  maxDepth: 64,
  /**
   * model-train, classification and regression: trees × maxSamples, what one training grows in its worker (a tree
   * on n rows has at most 2n − 1 nodes; in practice about n / 3). A forest past maxModelNodes is not written.
   */
  maxTreesTimesSamples: 5_000_000,
  /** model-train, per-device isolation forests (at most 511 nodes a tree, ψ = 256): trees × maxDevices. */
  maxTreesTimesDevices: 5_800,
  /** model-predict: node visits one message may cost, estimated as payloads × trees × deepest tree. */
  maxVisitsPerMessage: 10_000_000,
} as const;

/** Why a model (parsed, unchecked) is too large to load, or undefined. */
export function modelTooLarge(data: unknown): string | undefined {
  const nodes = countModelNodes(data);
  if (nodes <= MODEL_BOUNDS.maxModelNodes) return undefined;
  return `model is too large: its forests have ${nodes} tree nodes, above the ${MODEL_BOUNDS.maxModelNodes} a model may hold (fewer trees, fewer samples or a maxDepth)`;
}

/** Tree nodes in a parsed (unchecked) model: every `forest.trees[i].feature` and ml-cart node counted. */
export function countModelNodes(data: unknown): number {
  if (data === null || typeof data !== 'object') return 0;
  const model = data as { forest?: unknown; devices?: unknown };
  let total = countForestNodes(model.forest);
  if (model.devices !== null && typeof model.devices === 'object') {
    for (const part of Object.values(model.devices as Record<string, unknown>)) {
      if (part !== null && typeof part === 'object') total += countForestNodes((part as { forest?: unknown }).forest);
    }
  }
  return total;
}

function countForestNodes(forest: unknown): number {
  if (forest === null || typeof forest !== 'object') return 0;
  const trees = (forest as { trees?: unknown }).trees;
  let total = 0;
  if (Array.isArray(trees)) {
    for (const tree of trees) {
      const feature = tree !== null && typeof tree === 'object' ? (tree as { feature?: unknown }).feature : undefined;
      if (Array.isArray(feature)) total += feature.length;
    }
    return total;
  }
  // ml-random-forest's form: nested ml-cart nodes, walked without recursion.
  const estimators = (forest as { baseModel?: { estimators?: unknown } }).baseModel?.estimators;
  if (!Array.isArray(estimators)) return 0;
  const pending: unknown[] = estimators.map((e) => (e !== null && typeof e === 'object' ? (e as { root?: unknown }).root : undefined));
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object') continue;
    total++;
    const { left, right } = node as { left?: unknown; right?: unknown };
    pending.push(left, right);
  }
  return total;
}
