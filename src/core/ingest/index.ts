export * from './config';
export * from './ingest';
export * from './names';
export * from './timestamps';
export * from './topic';
export * from './units';
