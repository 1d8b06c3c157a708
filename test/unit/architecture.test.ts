/**
 * The layering of ARCHITECTURE.md, enforced: every relative import under
 * src/ is checked against the `imports` block there (which contexts each
 * context may import, plus narrower path bans). A new edge needs that file
 * changed first, in review.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
const SRC = join(ROOT, 'src');
const FLOOR = new Set(['oci', 'config']);

function rules(): { allowed: Map<string, Set<string>>; banned: Array<[string, string]> } {
  const text = readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
  const block = /```imports\n([\s\S]*?)```/.exec(text)?.[1];
  assert.ok(block, 'ARCHITECTURE.md has an ```imports block');
  const allowed = new Map<string, Set<string>>();
  const banned: Array<[string, string]> = [];
  for (const raw of block.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const ban = /^(\S+)\s+!>\s+(\S+)$/.exec(line);
    if (ban) banned.push([ban[1] as string, ban[2] as string]);
    else {
      const [ctx, rest = ''] = line.split(':');
      allowed.set((ctx as string).trim(), new Set(rest.split(/\s+/).filter(Boolean)));
    }
  }
  return { allowed, banned };
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every relative import of every source file, as paths under src/. */
function imports(): Array<{ from: string; to: string }> {
  const out: Array<{ from: string; to: string }> = [];
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), m[1] as string).replace(/\.js$/, '.ts');
      out.push({ from: relative(SRC, file), to: relative(SRC, target) });
    }
  }
  return out;
}

const contextOf = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '(root)');

describe('architecture: imports follow ARCHITECTURE.md', () => {
  const { allowed, banned } = rules();
  const all = imports();

  it('finds the source and the rules', () => {
    assert.ok(all.length > 300, `read ${all.length} imports`);
    assert.ok(allowed.size >= 10);
  });

  it('every context is listed', () => {
    const contexts = new Set(all.map((i) => contextOf(i.from)));
    assert.deepEqual(
      [...contexts].filter((c) => !allowed.has(c)),
      [],
      'contexts missing from the imports block',
    );
  });

  it('no import crosses into a context its own may not import', () => {
    const bad = all.filter(({ from, to }) => {
      const a = contextOf(from);
      const b = contextOf(to);
      return a !== b && !FLOOR.has(b) && !allowed.get(a)?.has(b);
    });
    assert.deepEqual(
      bad.map((i) => `${i.from} -> ${i.to}`),
      [],
    );
  });

  it('no import breaks a narrower ban', () => {
    const bad = all.filter(({ from, to }) => banned.some(([f, t]) => from.startsWith(f) && to.startsWith(t)));
    assert.deepEqual(
      bad.map((i) => `${i.from} -> ${i.to}`),
      [],
    );
  });

  it('fails on an import the rules do not allow (the check itself works)', () => {
    const probe = { from: 'storage/x.ts', to: 'metadata/store.ts' };
    assert.ok(!allowed.get(contextOf(probe.from))?.has(contextOf(probe.to)), 'storage may not import metadata');
  });
});
