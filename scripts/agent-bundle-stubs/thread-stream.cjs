// The agent bundle's thread-stream (see index.mjs): pino only constructs one for a transport.
module.exports = class ThreadStream {
  constructor() {
    throw new Error('pino transports are not available in the agent bundle');
  }
};
