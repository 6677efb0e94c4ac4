/**
 * The answer of a client exchange: failures turned into problem responses (which response policies still see), the
 * response phase, then the response written as it stands (response-writer.ts).
 */
import { GatewayError, PROBLEM_CONTENT_TYPE, toProblem } from '@gatehouse/core';
import type { Step } from './compile.js';
import type { ClientRequest, GatewayContext } from './context.js';
import type { HandlerDependencies } from './handler.js';
import { type ClientResponse, sendProblem, writeResponse } from './response-writer.js';
import { runSteps } from './run-steps.js';

/** The exchange fields an answer reads and sets (ClientExchange's own). */
export interface AnsweringExchange {
  readonly req: ClientRequest;
  readonly res: ClientResponse;
  readonly deps: HandlerDependencies;
  readonly requestId: string;
  status: number;
  errorCode: string | undefined;
}

/** An error becomes the context's response; anything but a GatewayError is logged and answered as policy_error. */
export function toErrorResponse(exchange: AnsweringExchange, error: unknown, ctx: GatewayContext | undefined): void {
  const gatewayError = error instanceof GatewayError ? error : undefined;
  if (!gatewayError)
    exchange.deps.logger.error({ err: error, requestId: exchange.requestId }, 'policy or proxy failure');
  const doc = toProblem(gatewayError ?? new GatewayError('policy_error'), ctx?.request.originalPath);
  exchange.errorCode = doc.code;
  if (ctx) {
    ctx.errorCode = doc.code;
    ctx.respond(doc.status, { ...gatewayError?.headers, 'content-type': PROBLEM_CONTENT_TYPE }, JSON.stringify(doc));
  }
}

/** Runs the response phase, then writes; synchronous (undefined) when every response policy was. */
export function respond(
  exchange: AnsweringExchange,
  ctx: GatewayContext,
  responseSteps: Step[],
): Promise<void> | undefined {
  let pending: Promise<void> | undefined;
  try {
    pending = runSteps(responseSteps, ctx, true);
  } catch (error) {
    // A failing response policy turns the answer into a problem; response policies don't run twice.
    toErrorResponse(exchange, error, ctx);
  }
  if (pending === undefined) {
    write(exchange, ctx);
    return undefined;
  }
  return pending.then(
    () => write(exchange, ctx),
    (error: unknown) => {
      toErrorResponse(exchange, error, ctx);
      write(exchange, ctx);
    },
  );
}

/** Sends the response as it stands; invalid headers become a 502 instead. */
export function write(exchange: AnsweringExchange, ctx: GatewayContext): void {
  const { deps } = exchange;
  // After a refused body the rest of it is not worth reading on this connection.
  const closeAfter =
    deps.isShuttingDown() ||
    ctx.errorCode === 'payload_too_large' ||
    ctx.errorCode === 'request_timeout' ||
    ctx.errorCode === 'too_many_requests';
  const written = writeResponse(exchange.req, exchange.res, ctx.response, exchange.requestId, closeAfter, deps.logger);
  if (typeof written === 'number') exchange.status = written;
  else if (written !== undefined) fail(exchange, written);
}

/** Errors before a context exists (routing): no policies to run. */
export function fail(exchange: AnsweringExchange, error: GatewayError): void {
  exchange.errorCode = error.code;
  exchange.status = error.status;
  sendProblem(exchange.res, error, exchange.requestId, exchange.req.url);
}
