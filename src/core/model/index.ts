/**
 * The model core: random-forest training, compiled inference, the model file, metrics and CSV; anomaly models
 * (isolation forest, robust z-scores) and drift monitoring against each model's training sketch.
 * Pure TypeScript; never imports node-red.
 */
export * from './binning';
export * from './compiled-forest';
export * from './csv';
export * from './dataset';
export * from './forest-format';
export * from './metrics';
export * from './ml-random-forest';
export * from './model-file';
export * from './rng';
export * from './schema';
export * from './store';
export * from './train-model';
export * from './trainer';
export * from './collector';
export * from './anomaly';
export * from './drift';
export * from './isolation-forest';
export * from './sketch';
export * from './train-anomaly';
export * from './promotion';
export * from './training-window';
