/**
 * A real SMTP server on loopback that keeps every mail it receives, for tests of mail flows
 * (control plane and portal browser tests). Parses only what tests look at: envelope, headers,
 * text body and the one-time token of a portal link.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw message (headers and body) as received. */
  raw: string;
  headers: Map<string, string>;
  subject: string;
  /** The text/plain part (quoted-printable decoded). */
  text: string;
  /** The text/html part (decoded), or ''. */
  html: string;
}

export interface SmtpSink {
  /** smtp://127.0.0.1:<port> ; pass as GATEHOUSE_SMTP_URL. */
  url: string;
  mails: ReceivedMail[];
  /** Resolves with the first mail (already received or arriving) to `to` that `match` accepts. */
  waitFor(to: string, match?: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** Mails to `to` received so far. */
  to(address: string): ReceivedMail[];
  clear(): void;
  close(): Promise<void>;
}

function decodeQuotedPrintable(value: string): string {
  const bytes = Buffer.from(
    value
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  );
  return bytes.toString('utf8');
}

function decodeHeader(value: string): string {
  return value.replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_, kind: string, text: string) =>
    kind.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : decodeQuotedPrintable(text.replace(/_/g, ' ')),
  );
}

export function parseMail(raw: string, from: string, to: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), decodeHeader(line.slice(colon + 1).trim()));
  }
  // The text/plain and text/html parts of a multipart/alternative message (or the whole body).
  const body = raw.slice(split + 4);
  const partOf = (type: string): string | undefined => {
    const match = new RegExp(
      `Content-Type: text/${type}[^\\r\\n]*\\r\\n((?:[^\\r\\n]+\\r\\n)*)\\r\\n([\\s\\S]*?)\\r\\n--`,
      'i',
    ).exec(body);
    if (!match) return undefined;
    return /Content-Transfer-Encoding: quoted-printable/i.test(match[1]!)
      ? decodeQuotedPrintable(match[2]!)
      : match[2]!;
  };
  const text = partOf('plain') ?? body;
  const html = partOf('html') ?? '';
  return { from, to, raw, headers, subject: headers.get('subject') ?? '', text, html };
}

/** The token of a portal link (`...#token=<token>`) in a mail. */
export function tokenIn(mail: ReceivedMail): string {
  const match = /#token=([A-Za-z0-9_%-]+)/.exec(mail.text);
  if (!match) throw new Error(`no token in mail "${mail.subject}"`);
  return decodeURIComponent(match[1]!);
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const waiters: { to: string; match: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mail = parseMail(
          Buffer.concat(chunks).toString('utf8'),
          session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
        );
        mails.push(mail);
        for (const waiter of [...waiters]) {
          if (mail.to.includes(waiter.to) && waiter.match(mail)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(mail);
          }
        }
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    to: (address) => mails.filter((m) => m.to.includes(address.toLowerCase())),
    waitFor(to, match = () => true, timeoutMs = 10_000) {
      const address = to.toLowerCase();
      const found = mails.find((m) => m.to.includes(address) && match(m));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { to: address, match, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`no mail to ${to} within ${timeoutMs} ms (got ${mails.length} mails)`));
          }
        }, timeoutMs).unref();
      });
    },
    clear: () => {
      mails.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
