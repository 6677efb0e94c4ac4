import { describe, expect, it } from 'vitest';
import { ADMITTED, CircuitBreaker, PROBE, REJECTED } from './circuit-breaker.js';
import type { CircuitState } from './types.js';

function breaker(halfOpenRequests = 1) {
  const changes: CircuitState[] = [];
  const circuit = new CircuitBreaker({ failureThreshold: 3, openMs: 1000, halfOpenRequests }, (s) => changes.push(s));
  return { circuit, changes };
}

describe('CircuitBreaker', () => {
  it('opens after consecutive failures only; a success resets the count', () => {
    const { circuit, changes } = breaker();
    circuit.failure(ADMITTED, 0);
    circuit.failure(ADMITTED, 0);
    circuit.success(ADMITTED);
    circuit.failure(ADMITTED, 0);
    circuit.failure(ADMITTED, 0);
    expect(circuit.state(0)).toBe('closed');
    circuit.failure(ADMITTED, 10);
    expect(circuit.state(10)).toBe('open');
    expect(circuit.admit(500)).toBe(REJECTED);
    expect(circuit.retryAfterMs(500)).toBe(510);
    expect(changes).toEqual(['open']);
  });

  it('goes half-open after openDuration, admits limited probes, and a probe success closes it', () => {
    const { circuit, changes } = breaker(2);
    for (let i = 0; i < 3; i++) circuit.failure(ADMITTED, 0);
    expect(circuit.admit(1000)).toBe(PROBE);
    expect(circuit.admit(1000)).toBe(PROBE);
    expect(circuit.admit(1000)).toBe(REJECTED);
    circuit.abandon(PROBE);
    expect(circuit.admit(1001)).toBe(PROBE);
    circuit.success(PROBE);
    expect(circuit.state(1001)).toBe('closed');
    expect(circuit.admit(1001)).toBe(ADMITTED);
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('a failed probe reopens it for another openDuration; late non-probe results are ignored', () => {
    const { circuit, changes } = breaker();
    for (let i = 0; i < 3; i++) circuit.failure(ADMITTED, 0);
    expect(circuit.admit(1000)).toBe(PROBE);
    circuit.success(ADMITTED); // an exchange admitted before the circuit opened
    expect(circuit.state(1000)).toBe('half-open');
    circuit.failure(PROBE, 1200);
    expect(circuit.state(1500)).toBe('open');
    expect(circuit.admit(2199)).toBe(REJECTED);
    expect(circuit.admit(2200)).toBe(PROBE);
    expect(changes).toEqual(['open', 'half-open', 'open', 'half-open']);
  });
});
