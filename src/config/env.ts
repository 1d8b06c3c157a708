/**
 * Environment overrides as Distribution reads them: `REGISTRY_` followed by the
 * upper-cased key path joined with `_` (`REGISTRY_HTTP_ADDR`,
 * `REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY`). Keys that themselves contain
 * `_` are found by matching against the schema's known keys. Values are read
 * as YAML scalars, so `true`, `5` and `[a, b]` keep their types.
 */
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

/** The prefix every override starts with. */
export const ENV_PREFIX = 'REGISTRY_';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  out?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Finds the object shape behind wrappers (optional, default, preprocess pipes). */
function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | 'record' | undefined {
  let s: z.ZodType | undefined = schema;
  for (let i = 0; s && i < 10; i++) {
    const def = defOf(s);
    if (def.type === 'object') return def.shape;
    if (def.type === 'record') return 'record';
    s = def.innerType ?? (def.type === 'pipe' ? (defOf(def.in as z.ZodType).type === 'transform' ? def.out : def.in) : undefined);
  }
  return undefined;
}

type Obj = Record<string, unknown>;

function setPath(target: Obj, schema: z.ZodType, tokens: string[], value: unknown, envName: string): void {
  const shape = shapeOf(schema);
  if (shape === 'record') {
    target[tokens.join('_')] = value;
    return;
  }
  if (!shape) throw new Error(`${envName}: no configuration key matches`);
  for (let take = tokens.length; take >= 1; take--) {
    const candidate = tokens.slice(0, take).join('_').toLowerCase();
    const key = Object.keys(shape).find((k) => k.toLowerCase() === candidate);
    if (!key) continue;
    if (take === tokens.length) {
      target[key] = value;
      return;
    }
    const child = target[key];
    const next: Obj = child && typeof child === 'object' && !Array.isArray(child) ? (child as Obj) : {};
    target[key] = next;
    setPath(next, shape[key] as z.ZodType, tokens.slice(take), value, envName);
    return;
  }
  throw new Error(`${envName}: no configuration key matches ${tokens.join('_').toLowerCase()}`);
}

/** Returns a copy of `raw` with every `REGISTRY_*` variable of `env` applied. */
export function applyEnvOverrides(raw: Obj, schema: z.ZodType, env: NodeJS.ProcessEnv): Obj {
  const out = structuredClone(raw);
  const names = Object.keys(env)
    .filter((k) => k.startsWith(ENV_PREFIX))
    .sort((a, b) => a.length - b.length);
  for (const name of names) {
    const tokens = name.slice(ENV_PREFIX.length).split('_').filter(Boolean);
    if (tokens.length === 0) continue;
    const text = env[name] ?? '';
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch {
      value = text;
    }
    setPath(out, schema, tokens, value ?? text, name);
  }
  return out;
}
