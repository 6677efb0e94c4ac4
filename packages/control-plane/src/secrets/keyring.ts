/**
 * The secret box of this process: one key from the environment (GATEHOUSE_SECRET_KEY, a key file,
 * or the embedded default's generated file), installed once when the application is built, like
 * the environment it comes from. Services seal secrets with it on write; only the compiler, which
 * builds what gateways receive, opens them.
 */
import { isSealed, type SecretBox } from '@gatehouse/core';
import { invalid } from '../http/validation.js';
import { definitionSecrets, SECRET_MASK } from './fields.js';

let installed: SecretBox | undefined;

export function installSecretBox(box: SecretBox): void {
  installed = box;
}

/** The installed box, if any (a second application on the same database must reuse it). */
export function installedSecretBox(): SecretBox | undefined {
  return installed;
}

export function secretBox(): SecretBox {
  if (!installed) throw new Error('no secret key installed (buildApp installs it)');
  return installed;
}

/**
 * A definition written by a client, in clear: a field sent as the mask takes the value stored at
 * the same place (same path, same policy), as Kong and Gravitee do, so a client can send back what
 * it read; the mask where nothing is stored is refused. Validate this, then seal it.
 */
export function unmaskSecrets<T>(input: T, stored: unknown, bodyPath = 'body'): T {
  const box = secretBox();
  const previous = new Map<string, string>();
  if (stored) {
    definitionSecrets(stored, (value, _path, identity) => {
      previous.set(identity, value);
      return value;
    });
  }
  return definitionSecrets(input, (value, path, identity) => {
    if (value !== SECRET_MASK) return value;
    const kept = previous.get(identity);
    if (kept === undefined) {
      throw invalid(`${bodyPath}.${path}`, `is the mask ${SECRET_MASK} but no secret is stored there; send the value`);
    }
    return isSealed(kept) ? box.open(kept) : kept;
  });
}

/** Encrypts every secret of a definition written by a client (masks resolved first, see above). */
export function sealSecrets<T>(input: T, stored: unknown, bodyPath = 'body'): T {
  const box = secretBox();
  return definitionSecrets(unmaskSecrets(input, stored, bodyPath), (value) => box.seal(value));
}

/** The plaintext of every sealed secret: for the document gateways receive, nowhere else. */
export function openSecrets<T>(definition: T): T {
  const box = secretBox();
  return definitionSecrets(definition, (value) => (isSealed(value) ? box.open(value) : value));
}
