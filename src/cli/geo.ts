/**
 * `wharf geo …` (SPEC 7): sites, status, resync and promotion from the
 * command line, through the same services as `/api/v4/geo`. The commands
 * work while Wharf runs (they join its database); the running site sees a
 * resync within a second and a promotion within two.
 */
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { DomainError } from '../control/domain-error.js';
import { promote } from '../control/geo/promotion.js';
import { addSite, removeSite, resync } from '../control/geo/sites.js';
import { resolveRole, siteName } from '../control/geo/site.js';
import { computeStatus } from '../control/geo/status.js';
import { listSites, siteState } from '../control/geo/store.js';
import { withConfigDatabase } from './with-database.js';
import type { Database } from '../db/queryer.js';

const withGeo = (path: string | undefined, fn: (config: Config, db: Database) => Promise<void>) =>
  withConfigDatabase(path, fn, (config) => (config.geo.role === 'none' ? 'Geo is not configured (set geo.role in the config)' : undefined));

const print = (json: boolean | undefined, value: unknown, text: () => string) => process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : text());

/** Adds the `geo` command group. */
export function addGeoCommands(program: Command): void {
  const geo = program.command('geo').description('Geo replication: sites, status, resync, promotion');
  const site = geo.command('site').description('the sites this primary knows');
  site
    .command('add')
    .description('register a secondary site on the primary')
    .argument('<name>', 'the site name (its geo.name)')
    .argument('[config]', 'config.yml')
    .requiredOption('--api-url <url>', "the site's control-plane URL")
    .requiredOption('--registry-url <url>', "the site's registry URL")
    .action((name: string, path: string | undefined, opts: { apiUrl: string; registryUrl: string }) =>
      withGeo(path, async (_c, db) => {
        const row = await addSite(db, { name, api_url: opts.apiUrl, registry_url: opts.registryUrl });
        process.stdout.write(`added site ${row.name} (id ${row.id})\n`);
      }),
    );
  site
    .command('list')
    .argument('[config]', 'config.yml')
    .option('--json', 'print JSON')
    .action((path: string | undefined, opts: { json?: boolean }) =>
      withGeo(path, async (_c, db) => {
        const sites = await listSites(db);
        print(
          opts.json,
          sites,
          () => sites.map((s) => `${s.id}\t${s.name}\t${s.is_primary ? 'primary' : 'secondary'}\t${s.api_url}\t${s.registry_url}\tstatus ${s.status_at ?? 'never reported'}\n`).join('') || 'no sites\n',
        );
      }),
    );
  site
    .command('remove')
    .argument('<site>', 'name or id')
    .argument('[config]', 'config.yml')
    .action((ref: string, path: string | undefined) =>
      withGeo(path, async (_c, db) => {
        await removeSite(db, ref);
        process.stdout.write(`removed site ${ref}\n`);
      }),
    );
  geo
    .command('status')
    .description("this site's replication status; on a primary, each site's last report too")
    .argument('[config]', 'config.yml')
    .option('--json', 'print JSON')
    .action((path: string | undefined, opts: { json?: boolean }) =>
      withGeo(path, async (config, db) => {
        const role = resolveRole(config, await siteState(db));
        const mine = await computeStatus(db, siteName(config), role);
        const sites = role.role === 'primary' ? (await listSites(db)).filter((s) => s.name !== mine.name) : [];
        print(opts.json, { site: mine, sites: sites.map((s) => ({ name: s.name, status: s.status, status_at: s.status_at })) }, () => {
          const line = (s: Record<string, unknown>) =>
            `${s.container_repositories_synced_count}/${s.container_repositories_registry_count} synced, ${s.container_repositories_failed_count} failed, ${s.container_repositories_verified_count} verified, lag ${s.replication_lag_seconds ?? '-'} s`;
          let out = `${mine.name}: ${mine.role} (generation ${mine.generation})${mine.primary_api_url ? `, following ${mine.primary_api_url}` : ''}\n`;
          if (mine.role === 'secondary') out += `  ${line(mine as unknown as Record<string, unknown>)}; event ${mine.cursor_last_event_id} of ${mine.last_event_id ?? '?'}\n`;
          else out += `  last event ${mine.last_event_id}\n`;
          for (const s of sites) out += `${s.name}: ${s.status ? `${line(s.status)} (reported ${s.status_at})` : 'never reported'}\n`;
          return out;
        });
      }),
    );
  geo
    .command('resync')
    .description('sync one repository again, or every one (--all); --verify re-hashes every blob')
    .argument('[path]', 'repository path')
    .option('--all', 'every repository')
    .option('--verify', 'hash every blob again')
    .option('-c, --config <file>', 'config.yml')
    .action((repo: string | undefined, opts: { all?: boolean; verify?: boolean; config?: string }) =>
      withGeo(opts.config, async (_c, db) => {
        if (!repo && !opts.all) throw new DomainError('invalid', 'give a repository path, or --all');
        const n = await resync(db, opts.all ? undefined : repo, opts.verify ?? false);
        process.stdout.write(`scheduled ${n} repositor${n === 1 ? 'y' : 'ies'}\n`);
      }),
    );
  geo
    .command('promote')
    .description('make this secondary the primary (failover: stop writes on the primary and wait for sync first, see the README)')
    .argument('[config]', 'config.yml')
    .action((path: string | undefined) =>
      withGeo(path, async (config, db) => {
        const out = await promote(db, siteName(config), resolveRole(config, await siteState(db)));
        process.stdout.write(`${siteName(config)} is the primary now (generation ${out.generation}); ${out.sites} other site(s) will be told\n`);
      }),
    );
}
