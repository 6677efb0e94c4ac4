export * from './json-schema.js';
export * from './load.js';
export * from './schema.js';
export * from './semantics.js';
export * from './validate.js';
