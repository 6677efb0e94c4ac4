/**
 * The portal's mails, each as plain text and simple HTML. Every value that came from a user (names,
 * reasons) is escaped in the HTML and flattened to one line, so it can neither add markup nor,
 * in the subject, add headers. Links carry their token in the fragment (#token=...): a fragment is
 * never sent to a server nor in a Referer header.
 */
import type { Mail } from './mailer.js';

export interface PortalRef {
  /** Public base URL of the control plane, e.g. https://api.example.com (never from a request's Host). */
  baseUrl: string;
  envSlug: string;
  /** The environment's display name (the portal's name). */
  envName: string;
}

const flat = (value: string, max = 200) =>
  value
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, max);

function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export function portalLink(ref: PortalRef, page: string, token?: string): string {
  const base = `${ref.baseUrl.replace(/\/+$/, '')}/portal/${encodeURIComponent(ref.envSlug)}/${page}`;
  return token ? `${base}#token=${encodeURIComponent(token)}` : base;
}

function compose(
  kind: string,
  to: string,
  ref: PortalRef,
  subject: string,
  paragraphs: string[],
  link?: { label: string; url: string },
): Mail {
  const portal = flat(ref.envName);
  const text = [
    ...paragraphs.map((p) => flat(p, 2000)),
    ...(link ? [`${link.label}: ${link.url}`] : []),
    `-- ${portal}`,
  ].join('\n\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">',
    ...paragraphs.map((p) => `<p>${escapeHtml(flat(p, 2000))}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>`] : []),
    `<p style="color:#666">${escapeHtml(portal)}</p>`,
    '</body></html>',
  ].join('\n');
  return { kind, to, subject: flat(`${portal}: ${subject}`), text, html };
}

const IGNORE = 'If you did not ask for this, ignore this mail.';

export const messages = {
  verify: (ref: PortalRef, to: string, token: string, hours: number) =>
    compose(
      'verify',
      to,
      ref,
      'confirm your e-mail address',
      [`Confirm your e-mail address to finish signing up. The link works once, for ${hours} hours.`, IGNORE],
      { label: 'Confirm e-mail address', url: portalLink(ref, 'verify-email', token) },
    ),
  alreadyRegistered: (ref: PortalRef, to: string) =>
    compose(
      'already-registered',
      to,
      ref,
      'you already have an account',
      [
        'Someone tried to sign up with this e-mail address, which already has an account. Sign in instead, or reset your password if you forgot it.',
        IGNORE,
      ],
      { label: 'Sign in', url: portalLink(ref, 'login') },
    ),
  reset: (ref: PortalRef, to: string, token: string, minutes: number) =>
    compose(
      'reset',
      to,
      ref,
      'reset your password',
      [`Choose a new password. The link works once, for ${minutes} minutes.`, IGNORE],
      { label: 'Reset password', url: portalLink(ref, 'reset-password', token) },
    ),
  invitation: (ref: PortalRef, to: string, token: string, days: number) =>
    compose(
      'invitation',
      to,
      ref,
      'you are invited',
      [
        `You are invited to create an account on the ${ref.envName} developer portal. The invitation works once, for ${days} days.`,
      ],
      { label: 'Create your account', url: portalLink(ref, 'signup', token) },
    ),
  signupApproved: (ref: PortalRef, to: string) =>
    compose('signup-approved', to, ref, 'your account is ready', ['Your sign-up was approved. You can sign in now.'], {
      label: 'Sign in',
      url: portalLink(ref, 'login'),
    }),
  signupRejected: (ref: PortalRef, to: string, reason: string | null) =>
    compose('signup-rejected', to, ref, 'your sign-up was declined', [
      'Your sign-up was declined by an administrator.',
      ...(reason ? [`Reason: ${reason}`] : []),
    ]),
  subscription: (
    ref: PortalRef,
    to: string,
    change: {
      action: 'approved' | 'rejected' | 'closed';
      application: string;
      api: string;
      plan: string;
      reason: string | null;
    },
  ) =>
    compose(
      `subscription-${change.action}`,
      to,
      ref,
      `subscription ${change.action}`,
      [
        `The subscription of your application "${change.application}" to ${change.api} (plan ${change.plan}) was ${change.action}.`,
        ...(change.reason ? [`Reason: ${change.reason}`] : []),
      ],
      { label: 'Open the portal', url: portalLink(ref, 'applications') },
    ),
};
