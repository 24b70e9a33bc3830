/**
 * The model core: random-forest training, compiled inference, the model file, metrics and CSV; anomaly models
 * (isolation forest, robust z-scores) and drift monitoring against each model's training sketch.
 * Pure TypeScript; never imports node-red.
 */
export * from './forest/binning';
export * from './forest/compiled-forest';
export * from './data/csv';
export * from './data/dataset';
export * from './data/vector';
export * from './data/horizon';
export * from './forest/forest-format';
export * from './train/metrics';
export * from './forest/ml-random-forest';
export * from './file/model-file';
export * from '../util/rng';
export * from './file/schema';
export * from './file/store';
export * from './train/train-model';
export * from './train/conformal';
export * from './forest/trainer';
export * from './data/collector';
export * from './monitor/anomaly';
export * from './monitor/drift';
export * from './monitor/predict-session';
export * from './monitor/live-accuracy';
export * from './forest/isolation-forest';
export * from './forest/shap';
export * from './monitor/sketch';
export * from './train/train-anomaly';
export * from './train/promotion';
export * from './file/training-window';
