import type { ConfigResponse } from '../../ipc/agent-server/orbit-api.js';

/** A config and its JSON body, serialized once for every host that gets the same config. */
export interface PreparedConfig {
  config: ConfigResponse;
  body: Buffer;
}

/** Distinct configs alive at once are few (flag combinations × team policies); this only bounds the map. */
const MAX_VERSIONS = 1024;

/**
 * Interns configs by config_version. The version is a digest of everything in the config (domain/config.ts),
 * so one version is one body: 10,000 hosts answered by a change, or checking in, share a handful of
 * Buffers instead of each getting its own 2 kB JSON.stringify.
 */
export class PreparedConfigs {
  private readonly byVersion = new Map<string, PreparedConfig>();

  prepare(config: ConfigResponse): PreparedConfig {
    const known = this.byVersion.get(config.config_version);
    if (known) return known;
    if (this.byVersion.size >= MAX_VERSIONS) this.byVersion.clear();
    const prepared = { config, body: Buffer.from(JSON.stringify(config)) };
    this.byVersion.set(config.config_version, prepared);
    return prepared;
  }
}
