/** Test helpers of the control plane (not part of the runtime API). */

export { FAST_PASSWORD_HASHING } from './password-hashing.js';
export { parseMail, type ReceivedMail, type SmtpSink, startSmtpSink, tokenIn } from './smtp-sink.js';
