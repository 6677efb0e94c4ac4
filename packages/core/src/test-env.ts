/**
 * Service availability for tests that need PostgreSQL or Redis: on a laptop without the service they
 * skip with a one-line reason; under CI=true a missing service is a failure, never a skip.
 */
export function serviceUrl(name: 'REDIS_URL' | 'DATABASE_URL'): {
  url: string | undefined;
  skipReason: string | undefined;
} {
  const url = process.env[name];
  if (url) return { url, skipReason: undefined };
  if (process.env.CI === 'true') {
    throw new Error(`${name} is not set but CI=true: tests that need it must run in CI`);
  }
  return { url: undefined, skipReason: `${name} not set; skipping tests that need it` };
}
