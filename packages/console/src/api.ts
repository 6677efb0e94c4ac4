/** The management-API client lives in @gatehouse/ui (shared with the portal); screens import it from here. */
export * from '@gatehouse/ui/api';
