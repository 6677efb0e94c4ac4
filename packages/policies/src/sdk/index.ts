export * from './cache-store.js';
export * from './counters/types.js';
export * from './define.js';
export * from './expression.js';
export * from './header-edits.js';
export * from './node-limits.js';
export * from './safe-regex.js';
export * from './types.js';
