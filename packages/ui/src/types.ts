/** Resources of the management API that both the console and the portal show. */
export interface Application {
  id: string;
  name: string;
  description: string | null;
  ownerId: string;
  clientId: string | null;
  createdAt: string;
}

export interface Subscription {
  id: string;
  applicationId: string;
  apiId: string;
  planId: string;
  status: 'pending' | 'accepted' | 'rejected' | 'closed';
  reason: string | null;
  createdAt: string;
}

export interface ApiKey {
  id: string;
  prefix: string;
  status: 'active' | 'expiring' | 'expired' | 'revoked';
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
  key?: string;
}
