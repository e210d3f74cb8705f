export * from './device-status.js';
export * from './errors.js';
export * from './frame-codec.js';
export * from './limits.js';
export * from './messages.js';
export * from './paths.js';
