/**
 * The one error every decryption failure becomes. Whether an envelope decrypts is an oracle for whoever can
 * submit envelopes (Bleichenbacher/Marvin), so the message never says which step failed and carries no cause.
 */
export class EnvelopeError extends Error {
  constructor() {
    super('envelope could not be decrypted');
    this.name = 'EnvelopeError';
  }
}
