/**
 * `wharf admin create-user` and `wharf admin create-token`: the first admin on
 * a fresh install, and tokens for automation, written straight into the
 * database the config names (the embedded server by default: joined when
 * `wharf serve` runs, started for the command when it does not).
 */
import type { Command } from 'commander';
import { withDatabase } from './with-database.js';
import { loadConfig } from '../config/load.js';
import { createPersonalAccessToken, createUser } from '../control/identity/users.js';
import { DomainError } from '../control/domain-error.js';
import { userByUsername } from '../control/store/identity.js';
import { repositoriesByStatus } from '../control/store/registry-records.js';
import { resetFailedDeletion } from '../control/registry/deletions.js';
import { diskUsageCsv, projectDiskUsage, type DiskUsage } from '../control/registry/disk-usage.js';
import { keyDirectory } from '../control/control-plane.js';
import { loadSigningKey } from '../control/signing-key.js';
import { TokenIssuer } from '../control/token-issuer.js';
import { RegistryClient } from '../control/registry-client.js';
import { listVisibleProjects, projectByRef } from '../control/store/tenancy.js';
import { cleanupProject } from '../control/cleanup/run.js';
import { getPolicy } from '../control/cleanup/store.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** A client for the running registry the config names, with the control plane's signing key. */
async function registryClientFor(path: string | undefined): Promise<RegistryClient> {
  const config = await loadConfig(path);
  const cp = config.controlplane;
  const issuer = new TokenIssuer(() => loadSigningKey({ key: cp.key, certificate: cp.certificate, dir: keyDirectory(config) }), cp.issuer, cp.service);
  return new RegistryClient(() => cp.registryurl ?? `${config.http.tls ? 'https' : 'http'}://${config.http.addr}`, issuer);
}

/** Adds the `admin` command group. */
export function addAdminCommands(program: Command): void {
  const admin = program.command('admin').description('control-plane administration');
  admin
    .command('create-user')
    .description('create a user (the password comes from stdin with --password-stdin, or WHARF_PASSWORD)')
    .argument('<username>')
    .argument('[config]', 'config.yml')
    .option('--admin', 'make the user an administrator')
    .option('--email <email>')
    .option('--name <name>')
    .option('--password-stdin', 'read the password from standard input')
    .action((username: string, path: string | undefined, opts: { admin?: boolean; email?: string; name?: string; passwordStdin?: boolean }) =>
      withDatabase(path, async (db) => {
        const password = opts.passwordStdin ? await readStdin() : process.env.WHARF_PASSWORD;
        const user = await createUser(db, { username, password, admin: opts.admin ?? false, email: opts.email, name: opts.name });
        process.stdout.write(`created user ${user.username} (id ${user.id}${user.admin ? ', admin' : ''})\n`);
      }),
    );
  admin
    .command('create-token')
    .description('create a personal access token for a user and print it')
    .argument('<username>')
    .argument('[config]', 'config.yml')
    .option('--scopes <scopes>', 'comma-separated: api, read_api, read_registry, write_registry, read_virtual_registry', 'api')
    .option('--name <name>', 'token name', 'cli')
    .option('--expires-at <date>', 'YYYY-MM-DD')
    .action((username: string, path: string | undefined, opts: { scopes: string; name: string; expiresAt?: string }) =>
      withDatabase(path, async (db) => {
        const user = await userByUsername(db, username);
        if (!user) throw new DomainError('not_found', `no user ${username}`);
        const { token } = await createPersonalAccessToken(db, user.id, { name: opts.name, scopes: opts.scopes, expiresAt: opts.expiresAt });
        process.stdout.write(`${token}\n`);
      }),
    );
  admin
    .command('disk-usage')
    .description('registry disk usage per project as CSV (project_id,creator_id,registry_size_bytes,project path); asks the running registry')
    .argument('[config]', 'config.yml')
    .option('--project <id...>', 'only these projects (ids or full paths)')
    .action((path: string | undefined, opts: { project?: string[] }) =>
      withDatabase(path, async (db) => {
        const registry = await registryClientFor(path);
        const projects = opts.project ? (await Promise.all(opts.project.map((p) => projectByRef(db, p)))).filter((p) => p !== undefined) : (await listVisibleProjects(db, { admin: true }, undefined, 100_000, 0)).rows;
        const usages: DiskUsage[] = [];
        for (const p of projects) usages.push(await projectDiskUsage(db, registry, p));
        process.stdout.write(diskUsageCsv(usages));
      }),
    );
  admin
    .command('cleanup')
    .description("run a project's cleanup policy now against the running registry (or explain it with --dry-run)")
    .argument('<project>', 'project id or full path')
    .argument('[config]', 'config.yml')
    .option('--dry-run', "delete nothing; print each tag's fate and why")
    .action((ref: string, path: string | undefined, opts: { dryRun?: boolean }) =>
      withDatabase(path, async (db) => {
        const project = await projectByRef(db, ref);
        if (!project) throw new DomainError('not_found', `no project ${ref}`);
        const registry = await registryClientFor(path);
        const reports = await cleanupProject(db, registry, project.id, await getPolicy(db, project.id), { dryRun: opts.dryRun ?? false, now: Date.now() });
        for (const r of reports) {
          for (const d of r.decisions) process.stdout.write(`${r.repository}:${d.name} ${d.delete ? (opts.dryRun ? 'would be deleted' : 'deleted') : 'kept'}: ${d.reason}\n`);
          if (r.unfinished) process.stdout.write(`${r.repository}: unfinished (budget reached); run again to continue\n`);
        }
      }),
    );
  admin
    .command('deletions')
    .description('container repositories whose deletion is scheduled, ongoing or failed')
    .argument('[config]', 'config.yml')
    .option('--status <status>', 'delete_failed, delete_scheduled or delete_ongoing', 'delete_failed')
    .action((path: string | undefined, opts: { status: string }) =>
      withDatabase(path, async (db) => {
        if (!['delete_failed', 'delete_scheduled', 'delete_ongoing'].includes(opts.status)) throw new DomainError('invalid', `unknown status ${opts.status}`);
        for (const r of await repositoriesByStatus(db, opts.status as 'delete_failed')) process.stdout.write(`${r.id} ${r.path} ${r.status} after ${r.delete_attempts} attempt(s)\n`);
      }),
    );
  admin
    .command('reset-deletion')
    .description('put a delete_failed repository back to delete_scheduled')
    .argument('<id>', 'container repository id')
    .argument('[config]', 'config.yml')
    .action((id: string, path: string | undefined) =>
      withDatabase(path, async (db) => {
        if (!(await resetFailedDeletion(db, Number(id)))) throw new DomainError('conflict', `repository ${id} is not in delete_failed`);
        process.stdout.write(`repository ${id} is delete_scheduled again\n`);
      }),
    );
}
