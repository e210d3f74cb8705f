export { decryptEnvelope } from './decrypt.js';
export { encryptToCertificate } from './encrypt.js';
export { isWellFormedEnvelope } from './envelope-parse.js';
export { EnvelopeError } from './errors.js';
export {
  certificateFingerprint,
  createEscrowCertificate,
  type EscrowKeyPair,
  type IssuerAndSerial,
  readIssuerAndSerial,
} from './escrow-certificate.js';
export {
  isBitLockerRecoveryPassword,
  isFileVaultPrk,
  isLuksRecoveryKey,
  type Plaintext,
} from './plaintext-shapes.js';
