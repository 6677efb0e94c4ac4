/** Peer: @fastify/http-proxy (Fastify + @fastify/reply-from over undici), no plugins. Own process. */
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const [portArg, upstream] = process.argv.slice(2);
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: upstream! });
await app.listen({ port: Number(portArg), host: '127.0.0.1' });
process.stdout.write('READY\n');
