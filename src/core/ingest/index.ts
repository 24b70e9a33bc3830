export * from './config';
export * from './ingest';
export * from './timestamps';
export * from './topic';
export * from './units';
