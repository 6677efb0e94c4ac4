/**
 * Loaded into the gateway process under test with `node --import` (bench:reload): measures how long
 * the event loop was blocked (perf_hooks.monitorEventLoopDelay, a timer probe every 2 ms). On SIGUSR2
 * it writes the longest delay and p99 since the last report to $GATEHOUSE_LOOP_PROBE and starts over.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.GATEHOUSE_LOOP_PROBE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 2 });
  histogram.enable();
  process.on('SIGUSR2', () => {
    const report = { maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6 };
    histogram.reset();
    writeFileSync(file, JSON.stringify(report));
  });
}
