/**
 * Parsing and validating a JSON body so that no body can make validation fail with a 500: nesting is
 * bounded before parsing (Ajv validates recursively, so a 10,000-deep array against a recursive schema
 * would overflow the stack), and the answer is always a list of problems.
 */
import type { InvalidParam } from '@gatehouse/core';
import type { ValidateFunction } from 'ajv';
import { ajvErrorsToPointers } from './ajv.js';

export const DEFAULT_MAX_DEPTH = 100;
export const MAX_MAX_DEPTH = 1000;

/** True when arrays/objects in the JSON text nest deeper than `max` (one pass over the bytes, strings skipped). */
export function nestsDeeperThan(raw: Buffer | string, max: number): boolean {
  const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

export function tooDeep(max: number): InvalidParam {
  return { path: '', message: `nests arrays/objects deeper than ${max} levels` };
}

/** Runs a compiled validator; problems as JSON pointers, empty when valid. */
export function runValidator(validate: ValidateFunction, data: unknown, maxErrors: number): InvalidParam[] {
  try {
    return validate(data) ? [] : ajvErrorsToPointers(validate.errors, maxErrors);
  } catch (error) {
    // Depth is bounded before this point; this only catches what slips past it (a schema recursing
    // on itself without consuming the body), which is the body's problem to report, never a 500.
    if (error instanceof RangeError) return [{ path: '', message: 'is too deeply nested to validate' }];
    throw error;
  }
}

/** Parses and validates a JSON buffer; returns the problems (empty when valid). */
export function checkJson(
  validate: ValidateFunction,
  raw: Buffer,
  limits: { maxErrors: number; maxDepth: number },
): InvalidParam[] {
  if (nestsDeeperThan(raw, limits.maxDepth)) return [tooDeep(limits.maxDepth)];
  let data: unknown;
  try {
    data = JSON.parse(raw.toString('utf8'));
  } catch {
    return [{ path: '', message: 'is not valid JSON' }];
  }
  return runValidator(validate, data, limits.maxErrors);
}
