export * from './canonical-json.js';
export * from './duration.js';
export * from './errors.js';
export * from './logger.js';
export * from './lru.js';
export * from './secret-box.js';
export * from './secrets.js';
export * from './shutdown.js';
