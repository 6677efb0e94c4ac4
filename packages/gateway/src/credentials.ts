import type { ConfigDocument } from '@gatehouse/config';
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
}

/**
 * Indexes of the document's applications, built once per config version: API key hash ->
 * subscription, clientId / certificate identity -> application. Only accepted subscriptions and
 * non-revoked keys are indexed, so a lookup miss is always a 401.
 */
export class CredentialIndex {
  private readonly keys = new Map<string, KeyEntry>();
  private readonly clientIds = new Map<string, AppEntry>();
  private readonly certificates = new Map<string, AppEntry>();
  private readonly apps = new Map<string, AppEntry>();

  constructor(doc: ConfigDocument) {
    for (const app of doc.applications ?? []) {
      const info: ApplicationInfo = {
        id: app.id,
        name: app.name,
        ...(app.clientId === undefined ? {} : { clientId: app.clientId }),
      };
      const entry: AppEntry = { info, subscriptions: [] };
      this.apps.set(app.id, entry);
      if (app.clientId !== undefined) this.clientIds.set(app.clientId, entry);
      for (const identity of app.certificates ?? []) this.certificates.set(identity.toLowerCase(), entry);
      for (const sub of app.subscriptions) {
        if ((sub.status ?? 'accepted') !== 'accepted') continue;
        const subscriptionId = sub.id ?? `${app.id}:${sub.api}:${sub.plan}`;
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
        }
      }
    }
  }

  get keyCount(): number {
    return this.keys.size;
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
