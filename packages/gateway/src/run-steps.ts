import type { Step } from './compile.js';
import type { GatewayContext } from './context.js';

/**
 * Runs handlers in order; stops the request phase once a handler answered (respond()). Returns undefined when
 * every handler finished synchronously (the common case: no promise, no microtask), else a promise for the rest.
 */
export function runSteps(
  steps: Step[],
  ctx: GatewayContext,
  responsePhase = false,
  from = 0,
): Promise<void> | undefined {
  for (let i = from; i < steps.length; i++) {
    const result = steps[i]!.run(ctx);
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      return (result as Promise<void>).then(() => {
        if (!responsePhase && ctx.responded) return;
        return runSteps(steps, ctx, responsePhase, i + 1);
      });
    }
    if (!responsePhase && ctx.responded) return undefined;
  }
  return undefined;
}
