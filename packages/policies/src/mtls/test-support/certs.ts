/**
 * Test PKI generated with the openssl CLI into a temp dir (no private keys live in the repo):
 * root CA -> intermediate CA -> client certificates, plus an unrelated CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  rootCa: string;
  intermediateCa: string;
  otherCa: string;
  server: { key: string; cert: string };
  /** Leaf + intermediate, signed by the intermediate CA, EKU clientAuth: C=US, O=Acme, CN=client-a. */
  clientA: { key: string; cert: string; chain: string };
  /** Signed by the root directly, no extensions: CN=client-b. */
  clientB: { key: string; cert: string };
  /** Signed by the unrelated CA. */
  untrusted: { key: string; cert: string };
  /** EKU serverAuth only. */
  serverOnly: { key: string; cert: string };
  cleanup(): void;
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-mtls-'));
  const file = (name: string) => join(dir, name);
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  let serial = 1000;

  const newKey = (name: string) =>
    run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(`${name}.key`));
  const selfSignedCa = (name: string, subject: string) => {
    newKey(name);
    run(
      'req',
      '-x509',
      '-new',
      '-key',
      file(`${name}.key`),
      '-out',
      file(`${name}.pem`),
      '-days',
      '3650',
      '-subj',
      subject,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
  };
  const issue = (name: string, subject: string, issuer: string, extensions: string) => {
    newKey(name);
    run('req', '-new', '-key', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject);
    writeFileSync(file(`${name}.ext`), extensions);
    run(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file(`${issuer}.pem`),
      '-CAkey',
      file(`${issuer}.key`),
      '-set_serial',
      String(serial++),
      '-days',
      '3650',
      '-out',
      file(`${name}.pem`),
      '-extfile',
      file(`${name}.ext`),
    );
  };
  const read = (name: string) => readFileSync(file(name), 'utf8');
  const pair = (name: string) => ({ key: read(`${name}.key`), cert: read(`${name}.pem`) });

  selfSignedCa('root', '/CN=Gatehouse Test Root CA');
  selfSignedCa('other', '/CN=Unrelated CA');
  issue(
    'intermediate',
    '/CN=Gatehouse Test Intermediate CA',
    'root',
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n',
  );
  issue(
    'server',
    '/CN=localhost',
    'root',
    'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n',
  );
  issue(
    'client-a',
    '/C=US/O=Acme/CN=client-a',
    'intermediate',
    'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n',
  );
  issue('client-b', '/CN=client-b', 'root', 'basicConstraints=CA:FALSE\n');
  issue('untrusted', '/CN=client-a', 'other', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  issue('server-only', '/CN=client-s', 'root', 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');

  const clientA = pair('client-a');
  return {
    dir,
    rootCa: read('root.pem'),
    intermediateCa: read('intermediate.pem'),
    otherCa: read('other.pem'),
    server: pair('server'),
    clientA: { ...clientA, chain: clientA.cert + read('intermediate.pem') },
    clientB: pair('client-b'),
    untrusted: pair('untrusted'),
    serverOnly: pair('server-only'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
