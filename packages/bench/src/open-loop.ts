/**
 * Open-loop latency at a fixed request rate, in microseconds. Run as its own process:
 *   node open-loop.js <url> <rate> <seconds> [header: value]...
 * prints one JSON line { sent, received, errors, p50, p99, p999, max } (milliseconds).
 *
 * Why not autocannon: its histogram has 1 ms resolution, too coarse to check "p99 within 1 ms". Requests go out on
 * a schedule (i/rate seconds after the start) whatever the answers do, over enough connections that none waits for
 * a free one at these rates; latency runs from the write to the end of the answer. The schedule is driven by 1 ms
 * timers rather than a spin loop, which on a 2-core machine would take a core from the servers being measured.
 */
import net from 'node:net';

interface Connection {
  socket: net.Socket;
  /** Send times (ns) of requests written and not yet answered, oldest first. */
  inFlight: bigint[];
  buffer: Buffer;
  closed?: boolean;
}

const [urlArg, rateArg, secondsArg, ...headerArgs] = process.argv.slice(2);
const url = new URL(urlArg!);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const CONNECTIONS = 32;

let head = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
for (const header of headerArgs) head += `${header}\r\n`;
const request = Buffer.from(`${head}\r\n`);

const latenciesUs: number[] = [];
let errors = 0;
let sent = 0;

/** Counts complete responses in the buffer (Content-Length framing, as the bench upstream answers). */
function takeResponses(connection: Connection, now: bigint): void {
  let buffer = connection.buffer;
  for (;;) {
    const end = buffer.indexOf('\r\n\r\n');
    if (end === -1) break;
    const headText = buffer.toString('latin1', 0, end);
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headText)?.[1] ?? 0);
    const total = end + 4 + length;
    if (buffer.length < total) break;
    if (!headText.startsWith('HTTP/1.1 2')) errors++;
    const scheduled = connection.inFlight.shift();
    if (scheduled !== undefined) latenciesUs.push(Number(now - scheduled) / 1000);
    buffer = buffer.subarray(total);
  }
  connection.buffer = buffer;
}

function connect(): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => resolve(connection));
    socket.setNoDelay(true);
    const connection: Connection = { socket, inFlight: [], buffer: Buffer.alloc(0) };
    socket.on('data', (chunk: Buffer) => {
      connection.buffer = connection.buffer.length === 0 ? chunk : Buffer.concat([connection.buffer, chunk]);
      takeResponses(connection, process.hrtime.bigint());
    });
    socket.on('error', reject);
    socket.once('close', () => {
      // Whatever was in flight on a closed connection is lost; the slot reconnects for later requests.
      errors += connection.inFlight.length;
      connection.inFlight = [];
      connection.closed = true;
    });
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function main(): Promise<void> {
  const connections = await Promise.all(Array.from({ length: CONNECTIONS }, connect));
  const total = Math.round(rate * seconds);
  const intervalNs = BigInt(Math.round(1e9 / rate));
  const start = process.hrtime.bigint();
  let next = 0;
  const reconnecting = new Set<number>();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = process.hrtime.bigint();
      // Everything due by now goes out, each on the least busy connection (pipelined if all are busy).
      while (sent < total && start + BigInt(sent) * intervalNs <= now) {
        // Connections take turns, so none sits idle long enough for the server's keep-alive timeout to close it;
        // a busy one is skipped while another is free.
        let chosen: Connection | undefined;
        for (let i = 0; i < connections.length; i++) {
          const candidate = connections[(next + i) % connections.length]!;
          if (!candidate.closed && candidate.inFlight.length === 0) {
            chosen = candidate;
            next = (next + i + 1) % connections.length;
            break;
          }
        }
        chosen ??= connections.find((c) => !c.closed) ?? connections[0]!;
        chosen.inFlight.push(process.hrtime.bigint());
        chosen.socket.write(request);
        sent++;
      }
      for (let i = 0; i < connections.length; i++) {
        if (connections[i]!.closed && !reconnecting.has(i)) {
          reconnecting.add(i);
          connect().then(
            (c) => {
              connections[i] = c;
              reconnecting.delete(i);
            },
            () => reconnecting.delete(i),
          );
        }
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  // Let the last answers arrive.
  const deadline = Date.now() + 2000;
  while (connections.some((c) => c.inFlight.length > 0) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  for (const c of connections) {
    errors += c.inFlight.length;
    c.inFlight = [];
    c.socket.destroy();
  }
  const sorted = latenciesUs.sort((a, b) => a - b);
  const ms = (us: number) => Math.round(us) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      sent,
      received: sorted.length,
      errors,
      p50: ms(percentile(sorted, 0.5)),
      p99: ms(percentile(sorted, 0.99)),
      p999: ms(percentile(sorted, 0.999)),
      max: ms(sorted[sorted.length - 1] ?? Number.NaN),
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`open-loop failed: ${(error as Error).message}\n`);
  process.exit(1);
});
