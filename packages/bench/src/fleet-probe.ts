/**
 * The management-API probe of the fleet benchmark (fleet.ts), in a process of its own so its calls
 * and answers do not wait behind the simulated fleet's work. On `start` it makes management calls on
 * a fixed schedule (open loop: one every `intervalMs` whether or not the previous one answered, so a
 * stalled control plane shows as latency, not as fewer calls), cycling through what an operator's
 * console does: three reads (list APIs, one API, its deployments) and a write (a draft edit of
 * another API: no deploy, so no fan-out of its own). On `stop` it answers the calls started since.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';

export interface ProbeStart {
  base: string;
  token: string;
  env: string;
  /** The control plane's pid: its event loop's CPU time is read around each call. */
  pid: number;
  intervalMs: number;
}

export interface ProbeResult {
  reads: number[];
  writes: number[];
  /** Per call: CPU time the control plane's main thread spent while the call was open. */
  loopCpu: number[];
  failed: number;
}

/**
 * CPU time of a process's main thread (a Node process's event loop) in ms, from /proc/<pid>/schedstat.
 * Read around a call, it says how much of the loop's work the call waited through: about what its
 * latency would be on a core of its own, whatever the machine's load.
 */
export function loopCpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

const now = () => performance.timeOrigin + performance.now();

type Sample = [start: number, value: number];

function probe(options: ProbeStart) {
  const { base, token, env, pid } = options;
  const agent = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 60_000 });
  const reads: Sample[] = [];
  const writes: Sample[] = [];
  const loopCpu: Sample[] = [];
  let failed = 0;
  const headers = { authorization: `Bearer ${token}` };
  const path = `${base}/api/v1/environments/${env}`;
  const calls = [
    () => request(`${path}/apis`, { dispatcher: agent, headers }),
    () => request(`${path}/apis/orders`, { dispatcher: agent, headers }),
    () => request(`${path}/apis/orders/deployments`, { dispatcher: agent, headers }),
    () =>
      request(`${path}/apis/status`, {
        method: 'PATCH',
        dispatcher: agent,
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ description: `fleet bench edit ${Date.now()}` }),
      }),
  ];
  const pending = new Set<Promise<void>>();
  let n = 0;
  const tick = setInterval(() => {
    const index = n++ % calls.length;
    const into = index === 3 ? writes : reads;
    const t = now();
    const cpu0 = loopCpuMs(pid);
    const p = calls[index]!()
      .then(async (res) => {
        await res.body.dump();
        loopCpu.push([t, loopCpuMs(pid) - cpu0]);
        into.push([t, now() - t]);
        // Overlapping draft edits may answer 409/412 (optimistic concurrency): an answer all the same.
        if (res.statusCode >= 300 && res.statusCode !== 409 && res.statusCode !== 412) {
          failed++;
          if (failed <= 3) console.error(`management call answered ${res.statusCode}`);
        }
      })
      .catch((error: unknown) => {
        failed++;
        if (failed <= 3) console.error(`management call failed: ${(error as Error).message}`);
      })
      .finally(() => pending.delete(p));
    pending.add(p);
  }, options.intervalMs);
  return async (since: number): Promise<ProbeResult> => {
    clearInterval(tick);
    await Promise.all(pending);
    await agent.close();
    const from = (list: Sample[]) => list.filter(([t]) => t >= since).map(([, d]) => d);
    return { reads: from(reads), writes: from(writes), loopCpu: from(loopCpu), failed };
  };
}

if (process.send) {
  let stop: ((since: number) => Promise<ProbeResult>) | undefined;
  process.on('message', (message: ({ cmd: 'start' } & ProbeStart) | { cmd: 'stop'; since: number }) => {
    if (message.cmd === 'start') stop = probe(message);
    else if (stop) {
      const stopping = stop;
      stop = undefined;
      void stopping(message.since).then((result) => process.send?.(result));
    }
  });
  process.on('disconnect', () => process.exit(0));
}
