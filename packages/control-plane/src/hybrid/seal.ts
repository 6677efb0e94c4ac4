/**
 * Seals a sync answer for one gateway in the protocol version negotiated with it (messages.ts),
 * as the bytes to send. Protocol 3 deltas: the changed applications are shared by every gateway
 * moving between the same cursors (DeltaCache), so their canonical JSON and digest are computed
 * once and each gateway's message costs one signature over its small envelope.
 */

import { digestOf, signBytes } from '@gatehouse/config';
import { canonicalJson } from '@gatehouse/core';
import { sealSharedSnapshot } from './shared-snapshot.js';
import type { Signer } from './signing.js';
import type { SharedDefinitionBody, SharedSnapshotBody, SyncBody } from './sync.js';

interface SharedPart {
  json: string;
  digest: string;
}

/** By the delta's `applications` object (the same object for every gateway given that delta). */
const applicationParts = new WeakMap<object, SharedPart>();

function sharedApplications(applications: object): SharedPart {
  let part = applicationParts.get(applications);
  if (!part) {
    const json = canonicalJson(applications);
    part = { json, digest: digestOf(json) };
    applicationParts.set(applications, part);
  }
  return part;
}

export async function sealAnswer(
  signer: Signer,
  answer: SyncBody | SharedSnapshotBody | SharedDefinitionBody,
  gzipped: boolean,
): Promise<{ bytes: Buffer[] | string; gzipped: boolean }> {
  if (answer.kind === 'shared-definition') return { bytes: await sealDefinition(signer, answer), gzipped: false };
  if (answer.kind === 'shared-snapshot')
    return { bytes: await sealSharedSnapshot(signer, answer.body, answer.shared, gzipped), gzipped };
  if (answer.kind !== 'delta' || answer.protocol < 3)
    return { bytes: JSON.stringify(await signer.seal(answer)), gzipped: false };
  const { applications, ...rest } = answer;
  const part = sharedApplications(applications);
  const { published, signing } = await signer.sealingKeys();
  const envelope = { ...rest, keys: published, digest: part.digest };
  const signatures = signBytes(Buffer.from(canonicalJson(envelope)), signing);
  return {
    bytes: `{"applications":${part.json},${JSON.stringify({ ...envelope, signatures }).slice(1)}`,
    gzipped: false,
  };
}

/**
 * A definition delta (protocol 4): the definition's canonical JSON and digest are the version's
 * (definition-delta.ts), the changes' are computed once per changes object; one signature over the
 * envelope holding both digests.
 */
async function sealDefinition(signer: Signer, answer: SharedDefinitionBody): Promise<string> {
  const part = sharedApplications(answer.changes.applications);
  const { published, signing } = await signer.sealingKeys();
  const envelope = { ...answer.body, keys: published, definitionDigest: answer.definition.digest, digest: part.digest };
  const signatures = signBytes(Buffer.from(canonicalJson(envelope)), signing);
  return `{"definition":${answer.definition.json},"applications":${part.json},${JSON.stringify({ ...envelope, signatures }).slice(1)}`;
}
