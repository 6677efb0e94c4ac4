export * from './schema.js';
export * from './validate.js';
export * from './semantics.js';
export * from './load.js';
export * from './json-schema.js';
