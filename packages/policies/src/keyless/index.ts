/**
 * Plan security `keyless`: anyone may call, without a subscription. It runs after every other
 * scheme of the API, so a request that does carry a credential is matched to its plan first (and a
 * wrong credential is still a 401, not a silent downgrade to the open plan).
 */
import { defineSecurity } from '../sdk/define.js';
import { keylessContract } from './contract.js';
import type { KeylessConfig } from './schema.js';

/** One frozen outcome for every request: nothing allocated per call. */
const ANONYMOUS = Object.freeze({ anonymous: true as const });

export const keylessSecurity = defineSecurity<KeylessConfig>({
  ...keylessContract,
  create() {
    return { authenticate: () => ANONYMOUS };
  },
});
