/**
 * Start progress on stderr (stdout carries the banner and the JSON logs): each slow step is named
 * when it begins and timed when it ends, so a first start is never silent.
 */
export class Progress {
  private readonly startedAt = performance.now();

  constructor(private readonly out: NodeJS.WritableStream = process.stderr) {}

  async step<T>(label: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    this.out.write(`  ${label} ...`);
    try {
      const result = await run();
      this.out.write(` ${seconds(performance.now() - started)}\n`);
      return result;
    } catch (error) {
      this.out.write(' failed\n');
      throw error;
    }
  }

  done(): void {
    this.out.write(`  ready in ${seconds(performance.now() - this.startedAt)}\n`);
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
