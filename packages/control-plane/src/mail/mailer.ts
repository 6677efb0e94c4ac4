/**
 * Outgoing e-mail over SMTP (nodemailer). Configured by GATEHOUSE_SMTP_URL (smtp:// or smtps://,
 * credentials in the URL) and GATEHOUSE_SMTP_FROM. Without a URL the control plane runs without
 * mail: the portal then skips e-mail verification and every sign-up waits for an administrator.
 *
 * Mails carry one-time tokens, so nothing here logs a mail's body, the URL (it holds the SMTP
 * password) or the server's full answer; a failed send is logged by kind and error code only,
 * and never reaches the HTTP client that caused it.
 */
import type { Logger } from '@gatehouse/core';
import nodemailer, { type Transporter } from 'nodemailer';

export interface Mail {
  /** What the mail is (`verify`, `reset`, ...): the only thing about it that is logged. */
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  readonly configured: boolean;
  /** Resolves once the SMTP server accepted the mail; rejects on failure (see `deliver`). */
  send(mail: Mail): Promise<void>;
  close(): void;
}

export const NO_MAILER: Mailer = {
  configured: false,
  send: async () => {
    throw new Error('e-mail is not configured');
  },
  close: () => {},
};

export interface SmtpOptions {
  url: string;
  from: string;
  /** Seconds before a connection or command is abandoned (default 20). */
  timeoutSeconds?: number;
}

// CR/LF in a header value would start a new header; nodemailer encodes, but we never pass them.
const oneLine = (value: string) => value.replace(/\p{Cc}+/gu, ' ').trim();

export function createSmtpMailer(options: SmtpOptions): Mailer {
  const timeout = (options.timeoutSeconds ?? 20) * 1000;
  const transport: Transporter = nodemailer.createTransport(
    {
      url: options.url,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      logger: false,
      debug: false,
    } as Parameters<typeof nodemailer.createTransport>[0],
    { from: oneLine(options.from) },
  );
  return {
    configured: true,
    async send(mail) {
      await transport.sendMail({
        to: oneLine(mail.to),
        subject: oneLine(mail.subject),
        text: mail.text,
        html: mail.html,
        // A missing address must fail, not silently send to nobody.
        disableUrlAccess: true,
        disableFileAccess: true,
      });
    },
    close: () => transport.close(),
  };
}

/** GATEHOUSE_SMTP_URL / GATEHOUSE_SMTP_FROM; undefined (no mail) when the URL is unset. */
export function smtpOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SmtpOptions | undefined {
  const url = env.GATEHOUSE_SMTP_URL?.trim();
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Never echo the value: it holds the SMTP password.
    throw new Error('GATEHOUSE_SMTP_URL is not a URL (smtp://user:password@host:587 or smtps://...)');
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:')
    throw new Error('GATEHOUSE_SMTP_URL must start with smtp:// or smtps://');
  const from = env.GATEHOUSE_SMTP_FROM?.trim();
  if (!from)
    throw new Error('GATEHOUSE_SMTP_FROM is required with GATEHOUSE_SMTP_URL (e.g. "API portal <portal@example.com>")');
  return { url, from };
}

/**
 * Sends in the background: the request that caused the mail neither waits for SMTP (so timing does
 * not tell a new address from a known one) nor sees its failure.
 */
export function deliver(mailer: Mailer, logger: Logger | undefined, mail: Mail): Promise<void> {
  if (!mailer.configured) return Promise.resolve();
  return mailer.send(mail).then(
    () => {
      logger?.info({ mail: mail.kind }, 'mail sent');
    },
    (error: unknown) => {
      const e = error as { code?: unknown; responseCode?: unknown };
      logger?.warn(
        {
          mail: mail.kind,
          code: typeof e?.code === 'string' ? e.code : undefined,
          responseCode: typeof e?.responseCode === 'number' ? e.responseCode : undefined,
        },
        'mail could not be sent',
      );
    },
  );
}
