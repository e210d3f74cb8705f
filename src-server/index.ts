/** What other programs (the demo, agent tests) use to run an escrow server in-process. */
export { addAdminToken, type InitResult, initDataDir } from './init.js';
export { type RunningServer, type StartServerOptions, startServer } from './server.js';
