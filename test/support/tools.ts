/**
 * Running external programs (skopeo, podman, docker-registry) from tests, and
 * deciding loudly whether a test that needs one can run.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './temp.js';

const pexec = promisify(execFile);

/** True when `cmd` is on PATH. */
export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/**
 * Returns a skip reason when `cmd` is missing (printed loudly), or fails the run
 * under CI=true, where every tool must be installed by .ci/run.
 */
export function requireCommand(cmd: string, pkg = cmd): string | undefined {
  if (hasCommand(cmd)) return undefined;
  const msg = `${cmd} is not installed (apt-get install -y ${pkg}); tests that need it are SKIPPED`;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${msg}`);
  process.stderr.write(`\n!!! ${msg}\n\n`);
  return msg;
}

/** Runs a command, returning stdout; rejects with stderr in the message on failure. */
export async function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await pexec(cmd, args, { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr ?? ''} ${e.message}`);
  }
}

/** `skopeo copy` without TLS verification (plus `extra` flags); resolves to the digest of the manifest copied. */
export async function skopeoCopy(src: string, dest: string, extra: string[] = []): Promise<string> {
  const dir = await tempDir('wharf-digest-');
  try {
    await run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--digestfile', join(dir, 'digest'), ...extra, src, dest]);
    return (await readFile(join(dir, 'digest'), 'utf8')).trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
