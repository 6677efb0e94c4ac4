/**
 * Bounds on an OpenAPI document, checked before anything recursive walks it (the 3.0 rewrite, structuredClone,
 * JSON.stringify, Ajv): a document nested thousands of levels deep would overflow the stack of the control plane on
 * write and of every gateway on load. Stripe's 4 MB description nests under 40 levels.
 */
export const MAX_DOCUMENT_CHARACTERS = 8 * 1024 * 1024;
export const MAX_DOCUMENT_DEPTH = 128;

/** The first bound `document` exceeds, as a message, or undefined. Iterative: a deep document cannot overflow it. */
export function documentDepthProblem(document: unknown): string | undefined {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: document, depth: 1 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_DOCUMENT_DEPTH) return `nests deeper than ${MAX_DOCUMENT_DEPTH} levels`;
    // Node count bounds the walk itself (each node holds at least a few characters once serialised).
    if (++nodes > MAX_DOCUMENT_CHARACTERS / 2) return `is larger than ${MAX_DOCUMENT_CHARACTERS} characters`;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push({ node: child, depth: depth + 1 });
  }
  return undefined;
}

export function documentSizeProblem(text: string): string | undefined {
  return text.length > MAX_DOCUMENT_CHARACTERS ? `is larger than ${MAX_DOCUMENT_CHARACTERS} characters` : undefined;
}
