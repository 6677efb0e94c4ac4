import { describe, expect, it } from 'vitest';
import { passwordWeakness } from '../auth/passwords.js';
import { smtpOptionsFromEnv } from './mailer.js';
import { messages } from './messages.js';

const ref = { baseUrl: 'https://cp.example.test/', envSlug: 'prod', envName: 'Acme\r\nBcc: x@evil.test' };

describe('SMTP settings from the environment', () => {
  it('is off without a URL, and needs a sender with one', () => {
    expect(smtpOptionsFromEnv({})).toBeUndefined();
    expect(() => smtpOptionsFromEnv({ GATEHOUSE_SMTP_URL: 'smtp://u:p@mail.test:587' })).toThrow(/GATEHOUSE_SMTP_FROM/);
    expect(
      smtpOptionsFromEnv({ GATEHOUSE_SMTP_URL: 'smtps://u:p@mail.test', GATEHOUSE_SMTP_FROM: 'Portal <p@x.test>' }),
    ).toEqual({ url: 'smtps://u:p@mail.test', from: 'Portal <p@x.test>' });
  });

  it('never repeats the URL (it holds the password) in its errors', () => {
    for (const url of ['not a url s3cret-pw', 'http://user:s3cret-pw@mail.test']) {
      let message = '';
      try {
        smtpOptionsFromEnv({ GATEHOUSE_SMTP_URL: url, GATEHOUSE_SMTP_FROM: 'p@x.test' });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/GATEHOUSE_SMTP_URL/);
      expect(message).not.toContain('s3cret-pw');
    }
  });
});

describe('portal mails', () => {
  it('keep subjects on one line and escape user text in HTML; the token is in the fragment', () => {
    const mail = messages.verify(ref, 'a@b.test', 'ghm_abc', 48);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.text).toContain('https://cp.example.test/portal/prod/verify-email#token=ghm_abc');
    const rejected = messages.signupRejected(ref, 'a@b.test', '<script>alert(1)</script>');
    expect(rejected.html).toContain('&lt;script&gt;');
    expect(rejected.html).not.toContain('<script>');
  });
});

describe('password weakness', () => {
  it('refuses short, common, repeated and e-mail passwords; accepts a passphrase', () => {
    expect(passwordWeakness('short')).toMatch(/at least 12/);
    expect(passwordWeakness('Password1234')).toMatch(/common/);
    expect(passwordWeakness('abababababab')).toMatch(/repeated/);
    expect(passwordWeakness('jane.doe@example.test', 'Jane.Doe@example.test')).toMatch(/e-mail/);
    expect(passwordWeakness('Jane-Doe-1999', 'jane.doe1999@example.test')).toMatch(/e-mail/);
    expect(passwordWeakness('violet-otter-climbs-42', 'jane@example.test')).toBeNull();
  });
});
