/**
 * CPU per gateway to seal a shared snapshot, protocol 2 against protocol 3, interleaved in one
 * process (so machine load affects both alike): a synthetic document of `--keys` API keys (10 per
 * application, as keyHash), built and hashed once as the snapshot cache does, then sealed for
 * `--rounds` gateways per protocol, gzipped as gateways ask for it.
 *
 *   node packages/control-plane/dist/bench/seal-cost.js [--keys 100000] [--rounds 20] [--only 2|3]
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { digestOf, keyIdOf } from '@gatehouse/config';
import { canonicalJson } from '@gatehouse/core';
import { type SharedSnapshot, sealSharedSnapshot } from '../hybrid/shared-snapshot.js';
import type { Signer } from '../hybrid/signing.js';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '20' },
    /** One protocol alone (2 or 3): its CPU without the other's garbage to collect. */
    only: { type: 'string' },
  },
});
const keys = Number(values.keys);
const rounds = Number(values.rounds);

const pair = generateKeyPairSync('ed25519');
const keyId = keyIdOf(pair.publicKey);
const publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const signer = {
  sealingKeys: async () => ({
    published: [{ keyId, alg: 'Ed25519' as const, publicKeyPem }],
    signing: [{ keyId, privateKey: pair.privateKey }],
  }),
} as unknown as Signer;

const applications = Array.from({ length: Math.ceil(keys / 10) }, (_, a) => ({
  id: `app-${a}`,
  name: `Application ${a}`,
  subscriptions: [{ id: `sub-${a}`, api: 'orders', plan: 'gold', status: 'active' }],
  keys: Array.from({ length: 10 }, (_, k) => ({
    id: `key-${a}-${k}`,
    keyHash: createHash('sha256').update(`${a}/${k}`).digest('hex'),
    status: 'active',
  })),
}));
const document = Buffer.from(
  canonicalJson({ version: 1, apis: [{ id: 'orders', basePath: '/orders' }], applications }),
);
const gzipped = Promise.resolve(gzipSync(document));
const shared: SharedSnapshot = {
  definitionVersion: 'd1',
  document,
  digest: digestOf(document),
  gzippedDocument: () => gzipped,
};
await gzipped;

const body = (protocol: number, i: number) => ({
  kind: 'snapshot' as const,
  protocol,
  environment: 'env',
  gateway: `gw-${i}`,
  cursor: 'c:10',
  issuedAt: new Date().toISOString(),
  definitionVersion: 'd1',
});

const cpu = { 2: 0, 3: 0 } as Record<number, number>;
for (let i = 0; i < rounds; i++) {
  for (const protocol of values.only ? [Number(values.only)] : i % 2 === 0 ? [2, 3] : [3, 2]) {
    const start = process.cpuUsage();
    await sealSharedSnapshot(signer, body(protocol, i), shared, true);
    const used = process.cpuUsage(start);
    cpu[protocol]! += (used.user + used.system) / 1000;
  }
}
const hashStart = process.cpuUsage();
digestOf(document);
const hashed = process.cpuUsage(hashStart);
console.log(
  `seal-cost: ${keys} keys, document ${(document.length / 1024 / 1024).toFixed(1)} MiB (${(
    (await gzipped).length / 1024 / 1024
  ).toFixed(1)} MiB gzip), ${rounds} gateways per protocol, interleaved:\n` +
    `  protocol 2: ${(cpu[2]! / rounds).toFixed(2)} ms CPU per gateway (signature over the whole message)\n` +
    `  protocol 3: ${(cpu[3]! / rounds).toFixed(3)} ms CPU per gateway (signature over the envelope)\n` +
    `  the digest, once per version: ${((hashed.user + hashed.system) / 1000).toFixed(1)} ms CPU`,
);
