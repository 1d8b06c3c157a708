/**
 * Loads configuration: the YAML file (or none), then `REGISTRY_*` environment
 * overrides, then schema validation. Errors name the offending key. The
 * result is deeply frozen and passed to constructors; nothing reads config at
 * import time.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { applyEnvOverrides } from './env.js';
import { configSchema, type Config } from './schema.js';

/** Raised when the configuration is invalid; `problems` lists `key: message` lines. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Validates an already-parsed document (plus env overrides) into a Config. */
/** Geo's keys that only make sense together. */
function checkGeo(config: Config): string[] {
  const geo = config.geo;
  if (geo.role === 'none') return [];
  const out: string[] = [];
  if (!config.database.enabled) out.push('geo.role: Geo keeps its event log and sync state in the metadata database; set database.enabled: true');
  if (config.controlplane.enabled === false || config.controlplane.standalone) out.push('geo.role: Geo runs in the control plane beside the registry; controlplane.enabled must not be false');
  if (!config.auth?.token) out.push('geo.role: sites trust each other through signed tokens; configure token auth (auth: { token: {} } with the control plane in this process)');
  if (geo.role === 'secondary') {
    if (!geo.primary.api_url) out.push("geo.primary.api_url: a secondary needs the primary's control-plane URL");
    if (!geo.primary.registry_url) out.push("geo.primary.registry_url: a secondary needs the primary's registry URL");
  }
  return out;
}

export function parseConfig(doc: unknown, env: NodeJS.ProcessEnv = {}): Config {
  if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) {
    throw new ConfigError(['(root): the configuration must be a mapping']);
  }
  let raw: Record<string, unknown>;
  try {
    raw = applyEnvOverrides((doc ?? {}) as Record<string, unknown>, configSchema, env);
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => {
        const key = i.path.map(String).join('.') || '(root)';
        const extra = i.code === 'unrecognized_keys' ? `unknown key(s) ${i.keys.map((k) => `${key === '(root)' ? '' : `${key}.`}${k}`).join(', ')}` : i.message;
        return `${key}: ${extra}`;
      }),
    );
  }
  const config = result.data;
  const geoProblems = checkGeo(config);
  if (geoProblems.length > 0) throw new ConfigError(geoProblems);
  if (!config.storage.filesystem && !config.storage.inmemory) {
    (config.storage as { filesystem?: unknown }).filesystem = { rootdirectory: './data' };
  }
  return deepFreeze(config);
}

/** Reads and validates a config file; with no path, defaults (token auth on) plus env overrides. */
export async function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  // Without a file: the embedded defaults, with token auth by the in-process control plane.
  if (!path) return parseConfig({ auth: { token: {} } }, env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read ${path}: ${(err as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`${path}: YAML syntax error: ${(err as Error).message}`]);
  }
  return parseConfig(doc, env);
}
