import type { Application } from '@gatehouse/config';
import { hashApiKey } from '@gatehouse/core';
import type { ApplicationInfo, CredentialLookup, SubscriptionInfo } from '@gatehouse/policies';

interface KeyEntry {
  subscription: SubscriptionInfo;
  /** Epoch ms after which the key stops working (Infinity when it never expires). */
  expiresAt: number;
}

interface AppEntry {
  info: ApplicationInfo;
  subscriptions: SubscriptionInfo[];
  /** What this application put in the other maps, so a patch can take exactly that out again. */
  keyHashes: string[];
  certificates: string[];
  subscriptionIds: string[];
}

/** A credential delta as the gateway applies it: applications replaced whole by id, or removed. */
export interface CredentialPatch {
  upsert: Application[];
  delete: string[];
}

/**
 * Indexes of the document's applications, built once per config version: API key hash ->
 * subscription, clientId / certificate identity -> application. Only accepted subscriptions and
 * non-revoked keys are indexed, so a lookup miss is always a 401.
 *
 * A credential delta patches the index in place (`patch`), in time proportional to the applications
 * it names: the lookups handed to the security schemes read these maps on every request, so routes,
 * policies and schemes are not compiled again.
 */
export class CredentialIndex {
  private readonly keys = new Map<string, KeyEntry>();
  private readonly clientIds = new Map<string, AppEntry>();
  private readonly certificates = new Map<string, AppEntry>();
  private readonly apps = new Map<string, AppEntry>();
  private readonly subscriptionIds = new Map<string, string>();

  constructor(applications: readonly Application[]) {
    for (const app of applications) this.add(app);
  }

  get keyCount(): number {
    return this.keys.size;
  }

  /** Applications upserted (replaced whole) and deleted; check `conflicts` first. */
  patch(patch: CredentialPatch): void {
    for (const id of patch.delete) this.remove(id);
    for (const app of patch.upsert) this.remove(app.id);
    for (const app of patch.upsert) this.add(app);
  }

  /**
   * What the uniqueness checks of a whole document (config semantics.ts) would find once `patch` is
   * applied: a key, clientId or subscription id still owned by an application the patch leaves alone.
   * `positions[i]` is where `patch.upsert[i]` stood in the delta (for the problems' paths).
   */
  conflicts(patch: CredentialPatch, positions?: readonly number[]): Array<{ path: string; message: string }> {
    const replaced = new Set([...patch.delete, ...patch.upsert.map((a) => a.id)]);
    const ownerOf = (appId: string | undefined) => (appId !== undefined && !replaced.has(appId) ? appId : undefined);
    const problems: Array<{ path: string; message: string }> = [];
    const seen = { keys: new Map<string, string>(), clientIds: new Map<string, string>(), subs: new Set<string>() };
    const seenIds = new Set<string>();
    patch.upsert.forEach((app, i) => {
      const aat = `applications.upsert[${positions?.[i] ?? i}]`;
      if (seenIds.has(app.id)) problems.push({ path: `${aat}.id`, message: `duplicate application id "${app.id}"` });
      seenIds.add(app.id);
      if (app.clientId !== undefined) {
        const other = ownerOf(this.clientIds.get(app.clientId)?.info.id) ?? seen.clientIds.get(app.clientId);
        if (other !== undefined)
          problems.push({ path: `${aat}.clientId`, message: `clientId already used by application "${other}"` });
        seen.clientIds.set(app.clientId, app.id);
      }
      (app.subscriptions ?? []).forEach((sub, j) => {
        const sat = `${aat}.subscriptions[${j}]`;
        const subId = sub.id ?? `${app.id}:${sub.api}:${sub.plan}`;
        if (ownerOf(this.subscriptionIds.get(subId)) !== undefined || seen.subs.has(subId))
          problems.push({ path: sat, message: `duplicate subscription "${subId}"` });
        seen.subs.add(subId);
        (sub.apiKeys ?? []).forEach((key, k) => {
          const kat = `${sat}.apiKeys[${k}]`;
          if ((key.key === undefined) === (key.keyHash === undefined)) {
            problems.push({ path: kat, message: 'must have exactly one of key or keyHash' });
            return;
          }
          const hash = key.keyHash ?? hashApiKey(key.key!);
          const owner = ownerOf(this.keys.get(hash)?.subscription.application.id);
          const other = owner !== undefined ? `application "${owner}"` : seen.keys.get(hash);
          if (other !== undefined) problems.push({ path: kat, message: `the same key is already used at ${other}` });
          seen.keys.set(hash, kat);
        });
      });
    });
    return problems;
  }

  private add(app: Application): void {
    const info: ApplicationInfo = {
      id: app.id,
      name: app.name,
      ...(app.clientId === undefined ? {} : { clientId: app.clientId }),
    };
    const entry: AppEntry = { info, subscriptions: [], keyHashes: [], certificates: [], subscriptionIds: [] };
    this.apps.set(app.id, entry);
    if (app.clientId !== undefined) this.clientIds.set(app.clientId, entry);
    for (const identity of app.certificates ?? []) {
      const lower = identity.toLowerCase();
      this.certificates.set(lower, entry);
      entry.certificates.push(lower);
    }
    for (const sub of app.subscriptions ?? []) {
      const subscriptionId = sub.id ?? `${app.id}:${sub.api}:${sub.plan}`;
      this.subscriptionIds.set(subscriptionId, app.id);
      entry.subscriptionIds.push(subscriptionId);
      if ((sub.status ?? 'accepted') !== 'accepted') continue;
      const subscription: SubscriptionInfo = {
        id: subscriptionId,
        ref: Object.freeze({ id: subscriptionId }),
        apiId: sub.api,
        planId: sub.plan,
        application: info,
      };
      entry.subscriptions.push(subscription);
      for (const key of sub.apiKeys ?? []) {
        if (key.revoked) continue;
        const hash = key.keyHash ?? hashApiKey(key.key!);
        this.keys.set(hash, {
          subscription,
          expiresAt: key.expiresAt ? Date.parse(key.expiresAt) : Number.POSITIVE_INFINITY,
        });
        entry.keyHashes.push(hash);
      }
    }
  }

  private remove(appId: string): void {
    const entry = this.apps.get(appId);
    if (!entry) return;
    this.apps.delete(appId);
    // Only what still points at this entry: a patch may have given a key or clientId to another application.
    for (const hash of entry.keyHashes)
      if (this.keys.get(hash)?.subscription.application === entry.info) this.keys.delete(hash);
    for (const identity of entry.certificates)
      if (this.certificates.get(identity) === entry) this.certificates.delete(identity);
    const clientId = entry.info.clientId;
    if (clientId !== undefined && this.clientIds.get(clientId) === entry) this.clientIds.delete(clientId);
    for (const subId of entry.subscriptionIds)
      if (this.subscriptionIds.get(subId) === appId) this.subscriptionIds.delete(subId);
  }

  /** A lookup restricted to one API and the plans of one security scheme. */
  forScheme(apiId: string, planIds: readonly string[]): CredentialLookup {
    const plans = new Set(planIds);
    const fits = (s: SubscriptionInfo) => s.apiId === apiId && plans.has(s.planId);
    const subscriptionOf = (entry: AppEntry | undefined) => entry?.subscriptions.find(fits);
    return {
      apiKey: (keyHash) => {
        const entry = this.keys.get(keyHash);
        if (!entry || !fits(entry.subscription)) return undefined;
        if (entry.expiresAt !== Number.POSITIVE_INFINITY && entry.expiresAt <= Date.now()) return undefined;
        return entry.subscription;
      },
      clientId: (clientId) => subscriptionOf(this.clientIds.get(clientId)),
      certificate: (identity) => subscriptionOf(this.certificates.get(identity.toLowerCase())),
      application: (applicationId) => subscriptionOf(this.apps.get(applicationId)),
    };
  }
}
