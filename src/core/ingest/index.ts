export * from './config';
export * from './ingest';
export * from './names';
export * from './profiles';
export * from '../util/schema-engine';
export * from './timestamps';
export * from './topic';
export * from './units';
