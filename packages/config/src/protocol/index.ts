export * from './acceptance.js';
export * from './messages.js';
export * from './signing.js';
