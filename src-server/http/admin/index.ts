import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { registerActivityRoutes } from './activity-routes.js';
import { registerDashboardRoutes } from './dashboard-routes.js';
import { registerHostRoutes } from './host-routes.js';
import { registerKeyRoutes } from './key-routes.js';
import { registerMergeRoutes } from './merge-routes.js';
import { registerOrgRoutes } from './org-routes.js';
import { registerPeopleRoutes } from './people-routes.js';
import { registerSelfServiceRoutes } from './self-service-routes.js';
import { registerSessionRoutes } from './session-routes.js';
import { registerTeamRoutes } from './team-routes.js';

/**
 * Every admin endpoint of ipc/admin/paths.ts (Fleet's paths where Fleet has them). Each one is registered
 * by name through adminRoute/publicRoute, which applies its rule from domain/authorization.ts.
 */
export function registerAdminRoutes(app: FastifyInstance, ctx: ServerContext): void {
  registerSessionRoutes(app, ctx);
  registerPeopleRoutes(app, ctx);
  registerHostRoutes(app, ctx);
  registerKeyRoutes(app, ctx);
  registerMergeRoutes(app, ctx);
  registerTeamRoutes(app, ctx);
  registerDashboardRoutes(app, ctx);
  registerActivityRoutes(app, ctx);
  registerOrgRoutes(app, ctx);
  registerSelfServiceRoutes(app, ctx);
}
