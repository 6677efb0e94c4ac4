export * from './types.js';
export * from './expression.js';
export * from './define.js';
export * from './counters/types.js';
export * from './cache-store.js';
