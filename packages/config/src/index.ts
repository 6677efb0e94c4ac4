export * from './json-schema.js';
export * from './load.js';
export * from './protocol/index.js';
export * from './schema.js';
export * from './semantics.js';
export * from './validate.js';
