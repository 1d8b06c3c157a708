/**
 * This site's Geo role as the running process sees it: the configured role,
 * overridden by what the database says after a promotion or a demotion
 * (`geo_site_state`), re-read every 2 seconds so every worker and node
 * follows a `wharf geo promote` run from the CLI without a restart.
 */
import type { Config } from '../../config/schema.js';
import type { Database } from '../../db/queryer.js';
import { siteState, type SiteStateRow } from './store.js';
import { hostname } from 'node:os';

/** Where this site's primary is (on a secondary). */
export interface PrimaryLocation {
  readonly name: string | null;
  readonly apiUrl: string;
  readonly registryUrl: string;
}

/** The role a site has now. */
export interface GeoRoleNow {
  readonly role: 'none' | 'primary' | 'secondary';
  readonly generation: number;
  readonly primary?: PrimaryLocation | undefined;
}

/** Resolves the role from config and the stored state. */
export function resolveRole(config: Config, state: SiteStateRow | undefined): GeoRoleNow {
  const geo = config.geo;
  if (geo.role === 'none') return { role: 'none', generation: 0 };
  const role = state?.role ?? geo.role;
  if (role === 'primary') return { role, generation: state?.generation ?? 0 };
  const apiUrl = state?.primary_api_url ?? geo.primary.api_url;
  const registryUrl = state?.primary_registry_url ?? geo.primary.registry_url;
  if (!apiUrl || !registryUrl) return { role: 'primary', generation: state?.generation ?? 0 };
  return { role: 'secondary', generation: state?.generation ?? 0, primary: { name: state?.primary_name ?? null, apiUrl: apiUrl.replace(/\/+$/, ''), registryUrl: registryUrl.replace(/\/+$/, '') } };
}

/** This site's name: `geo.name`, else the host name. */
export function siteName(config: Config): string {
  return config.geo.name ?? hostname();
}

/** The role, kept fresh. */
export class GeoSite {
  private now: GeoRoleNow;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(role: GeoRoleNow) => void>();

  private constructor(
    private readonly config: Config,
    private readonly db: Database,
    initial: GeoRoleNow,
  ) {
    this.now = initial;
  }

  static async open(config: Config, db: Database): Promise<GeoSite> {
    const site = new GeoSite(config, db, resolveRole(config, config.geo.role === 'none' ? undefined : await siteState(db)));
    if (config.geo.role !== 'none') {
      site.timer = setInterval(() => void site.refresh().catch(() => undefined), 2000);
      site.timer.unref();
    }
    return site;
  }

  get name(): string {
    return siteName(this.config);
  }

  get current(): GeoRoleNow {
    return this.now;
  }

  /** Re-reads the stored state now (after this process changed it). */
  async refresh(): Promise<GeoRoleNow> {
    const next = resolveRole(this.config, await siteState(this.db));
    const changed = next.role !== this.now.role || next.generation !== this.now.generation || next.primary?.apiUrl !== this.now.primary?.apiUrl;
    this.now = next;
    if (changed) for (const l of this.listeners) l(next);
    return next;
  }

  /** Called when the role changes. */
  onChange(listener: (role: GeoRoleNow) => void): void {
    this.listeners.add(listener);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.listeners.clear();
  }
}
