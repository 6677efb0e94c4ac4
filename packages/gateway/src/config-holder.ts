import type { Logger } from '@gatehouse/core';
import type { CompiledConfig } from './compile.js';

/** One config version being served; requests pin it for their lifetime. */
export interface Generation {
  config: CompiledConfig;
  inFlight: number;
  retired: boolean;
}

/**
 * Holds the serving config. A request pins the generation it started on; swapping installs a new
 * one atomically and closes the old one only after its last in-flight request finished, so a
 * reload never fails a request.
 */
export class ConfigHolder {
  private generation: Generation | undefined;
  private readonly draining = new Set<Generation>();

  constructor(
    private readonly logger: Logger,
    private readonly onRetired?: () => void,
  ) {}

  get current(): CompiledConfig | undefined {
    return this.generation?.config;
  }

  /** Pins the current generation for one request; give it back exactly once with unpin(). */
  pin(): Generation | undefined {
    const generation = this.generation;
    if (generation) generation.inFlight++;
    return generation;
  }

  unpin(generation: Generation): void {
    generation.inFlight--;
    if (generation.retired && generation.inFlight === 0) this.retire(generation);
  }

  swap(config: CompiledConfig): void {
    const previous = this.generation;
    this.generation = { config, inFlight: 0, retired: false };
    if (previous) {
      previous.retired = true;
      this.draining.add(previous);
      if (previous.inFlight === 0) this.retire(previous);
    }
  }

  private retire(generation: Generation): void {
    if (!this.draining.delete(generation)) return;
    generation.config.close().then(
      () => this.onRetired?.(),
      (error: unknown) => this.logger.error({ err: error }, 'closing a retired config failed'),
    );
  }

  /** In-flight requests across all generations (for graceful shutdown). */
  get inFlight(): number {
    let total = this.generation?.inFlight ?? 0;
    for (const g of this.draining) total += g.inFlight;
    return total;
  }

  async close(): Promise<void> {
    const all = [...this.draining, ...(this.generation ? [this.generation] : [])];
    this.draining.clear();
    this.generation = undefined;
    await Promise.allSettled(all.map((g) => g.config.close()));
  }
}
