export * from './config';
export * from './ingest';
export * from './names';
export * from './schema-engine';
export * from './timestamps';
export * from './topic';
export * from './units';
