export * from './api';
export * from './badge';
export * from './forms';
export * from './query';
export * from './sign-in';
export * from './types';
