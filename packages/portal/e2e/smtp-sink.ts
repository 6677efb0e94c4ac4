/**
 * A minimal SMTP server on loopback that keeps every message it receives, so the browser test can
 * read the verification mail the control plane really sent (through nodemailer, over SMTP). Speaks
 * just enough of RFC 5321 for one client: no TLS, no AUTH (not advertised, so none is attempted).
 */
import { createServer, type Socket } from 'node:net';

export interface SmtpSink {
  url: string;
  messages: string[];
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setEncoding('utf8');
    let buffer = '';
    let data: string[] | null = null;
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 sink ESMTP');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let index = buffer.indexOf('\r\n');
      while (index >= 0) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        index = buffer.indexOf('\r\n');
        if (data) {
          if (line === '.') {
            messages.push(data.join('\n'));
            data = null;
            reply('250 queued');
          } else data.push(line.startsWith('..') ? line.slice(1) : line);
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply('250 sink');
        else if (verb === 'HELO') reply('250 sink');
        else if (verb === 'DATA') {
          data = [];
          reply('354 end with .');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('250 ok');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * The mail's text with quoted-printable (soft line breaks, =XX) and base64 body parts decoded:
 * enough to find a link in it, whichever transfer encoding the mailer chose.
 */
export function decodeMail(raw: string): string {
  const quoted = raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  const base64 = [...raw.matchAll(/(?:^[A-Za-z0-9+/=]{16,}\r?\n?)+/gm)].map((m) =>
    Buffer.from(m[0].replace(/\s+/g, ''), 'base64').toString('utf8'),
  );
  return [quoted, ...base64].join('\n');
}
