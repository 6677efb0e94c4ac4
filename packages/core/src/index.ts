export * from './errors.js';
export * from './duration.js';
export * from './secrets.js';
export * from './lru.js';
export * from './logger.js';
export * from './test-env.js';
