/** Test helpers of the control plane (not part of the runtime API). */
export { parseMail, type ReceivedMail, type SmtpSink, startSmtpSink, tokenIn } from './smtp-sink.js';
