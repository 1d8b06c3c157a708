/**
 * Tag protection and immutability for everything the control plane deletes
 * (REST single and bulk deletes, repository deletion, cleanup policies, and
 * whatever comes later): one place that turns a project's tag rules into
 *
 * - the `meta` the registry enforces (`tag_deny_access_patterns`,
 *   `tag_immutable_patterns`), which every control-plane delete carries in
 *   its token, so the registry refuses what the actor may not do even if a
 *   caller forgot to ask; and
 * - verdicts with reasons naming the rule, asked before acting, so the API
 *   answers 403 in words and bulk work skips (and reports) what it must keep.
 *
 * Matching is the registry's own (`auth/tag-rules.ts`), so both sides agree.
 */
import type { AccessMeta } from '../../auth/claims.js';
import { tagMatches } from '../../auth/tag-rules.js';
import type { Queryer } from '../../db/queryer.js';
import { listTagRules } from '../store/registry-records.js';
import { ACCESS_LEVELS, type TagRuleRow } from '../store/rows.js';

/** What an actor may delete in one project. */
export interface TagGuard {
  /** The patterns the registry enforces for this actor, for the token of its delete calls. */
  readonly meta: AccessMeta;
  /** Why `tag` must stay for this actor (naming the rule), or undefined when it may be deleted. */
  refusal(tag: string): string | undefined;
}

const LEVEL_NAMES = new Map<number, string>(Object.entries(ACCESS_LEVELS).map(([name, level]) => [level, name[0]!.toUpperCase() + name.slice(1)]));
const levelName = (level: number) => LEVEL_NAMES.get(level) ?? `access level ${level}`;

/** A protected pattern and, when known, the access level deleting it needs (for the refusal's words). */
interface Protected {
  readonly pattern: string;
  readonly needs?: number | null | undefined;
}

/** The one guard builder: the meta the registry enforces and refusals in words, from protected and immutable patterns. */
function guard(deny: readonly Protected[], immutable: readonly string[]): TagGuard {
  const meta: { -readonly [K in keyof AccessMeta]: AccessMeta[K] } = {};
  if (deny.length > 0) meta.tag_deny_access_patterns = { delete: deny.map((d) => d.pattern) };
  if (immutable.length > 0) meta.tag_immutable_patterns = [...immutable];
  return {
    meta,
    refusal(tag) {
      const im = immutable.find((p) => tagMatches(p, tag));
      if (im) return `tag ${JSON.stringify(tag)} is immutable (tag rule ${JSON.stringify(im)}): nobody may delete it`;
      const p = deny.find((d) => tagMatches(d.pattern, tag));
      if (p) return `tag ${JSON.stringify(tag)} is protected (tag rule ${JSON.stringify(p.pattern)})${p.needs ? `: deleting it needs ${levelName(p.needs)}` : ''}`;
      return undefined;
    },
  };
}

function guardOf(rules: readonly TagRuleRow[], protects: (r: TagRuleRow) => boolean): TagGuard {
  // An immutable rule is stronger than any level: listed once, as immutable (the registry takes at most 5 patterns).
  const deny = rules.filter((r) => !r.immutable && protects(r)).map((r) => ({ pattern: r.tag_name_pattern, needs: r.minimum_access_level_for_delete }));
  return guard(
    deny,
    rules.filter((r) => r.immutable).map((r) => r.tag_name_pattern),
  );
}

/** The guard for an actor with access `level` in the project (admins act as 60, above every rule). */
export async function tagGuardFor(q: Queryer, projectId: number, level: number): Promise<TagGuard> {
  const rules = await listTagRules(q, projectId);
  return guardOf(rules, (r) => r.minimum_access_level_for_delete !== null && level < r.minimum_access_level_for_delete);
}

/** The guard of cleanup policies, which act for nobody: every tag a rule covers stays (SPEC 6.1). */
export async function cleanupTagGuard(q: Queryer, projectId: number): Promise<TagGuard> {
  return guardOf(await listTagRules(q, projectId), () => true);
}

/** Rebuilds a guard from the `meta` a queued job carries (the actor's patterns, computed when it was asked). */
export function guardFromMeta(meta: AccessMeta | undefined): TagGuard {
  return guard(
    (meta?.tag_deny_access_patterns?.delete ?? []).map((pattern) => ({ pattern })),
    meta?.tag_immutable_patterns ?? [],
  );
}
