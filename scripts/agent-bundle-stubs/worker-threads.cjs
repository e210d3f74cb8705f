// The agent bundle's worker_threads for pino (see index.mjs): the agent never starts a worker.
module.exports = { isMainThread: true };
