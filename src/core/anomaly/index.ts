export * from './config';
export * from './detectors';
export * from './likelihood';
export * from './session';
