export { type BuildAppOptions, buildApp, DEFAULT_HEARTBEAT_INTERVAL_MS } from './app.js';
export { type PasswordHashing, STRONG_PASSWORD_HASHING } from './auth/passwords.js';
export { type Action, PERMISSIONS, ROLES, type Role } from './auth/permissions.js';
export { bootstrap, DEFAULT_ADMIN_EMAIL } from './bootstrap.js';
export {
  buildEnvironmentDocument,
  type CompileResult,
  compileEnvironmentConfig,
  InvalidCompiledDocument,
} from './compiler/compile.js';
export { type Database, type DatabaseHandle, openDatabase } from './db/connect.js';
export { migrate } from './db/migrate.js';
export { MIGRATIONS } from './db/migrations.js';
export { createDemoSetup, type DemoOptions, type DemoSetup } from './demo.js';
export { DATA_ISLAND } from './http/static-app.js';
export { servesApi } from './hybrid/sharding.js';
export type { SyncBody } from './hybrid/sync.js';
export {
  type ControlPlane,
  type ControlPlaneOptions,
  DEFAULT_DATA_DIR,
  DEFAULT_PORT,
  type StartProgress,
  startControlPlane,
} from './server.js';
export { type PasswordReset, resetPassword } from './services/password-reset.js';
