/**
 * A cleanup policy's verdict on a repository's tags, GitLab's algorithm in
 * order, each step recording why a tag stays:
 *   1. `latest` is never deleted;
 *   2. only tags matching `name_regex` are candidates;
 *   3. tags matching `name_regex_keep` stay;
 *   4. tags without a manifest (no creation time) stay;
 *   5. protected and immutable tags (the project's tag rules) stay;
 *   6. candidates ordered newest first: the first `keep_n` stay;
 *   7. candidates newer than `older_than` stay;
 *   8. the rest are deleted.
 * Regexes are anchored and run on RE2 (linear time).
 */
import type { RE2JS } from 're2js';
import type { RegistryTag } from '../registry-client.js';
import { compileAnchored, parseOlderThan, type TagDecision } from '../registry/tag-selection.js';

/** GitLab's allowed values. */
export const CADENCES = ['1d', '7d', '14d', '1month', '3month'] as const;
export const KEEP_N = [1, 5, 10, 25, 50, 100] as const;
export const OLDER_THAN = ['7d', '14d', '30d', '90d'] as const;

/** A policy's rules. */
export interface PolicyRules {
  readonly name_regex: string | null;
  readonly name_regex_keep: string | null;
  readonly keep_n: number | null;
  readonly older_than: string | null;
}

/** Milliseconds of a cadence. */
export function cadenceMs(cadence: string): number {
  return { '1d': 864e5, '7d': 7 * 864e5, '14d': 14 * 864e5, '1month': 30 * 864e5, '3month': 90 * 864e5 }[cadence] ?? 864e5;
}

/** Evaluates `rules` on `tags`; `protectedPatterns` are RE2 patterns (unanchored, as tag rules are). */
export function evaluatePolicy(tags: readonly RegistryTag[], rules: PolicyRules, protectedPatterns: readonly RE2JS[], now: number): TagDecision[] {
  const match = rules.name_regex ? compileAnchored(rules.name_regex) : undefined;
  const keep = rules.name_regex_keep ? compileAnchored(rules.name_regex_keep) : undefined;
  const olderThan = rules.older_than ? parseOlderThan(rules.older_than) : undefined;
  const created = (t: RegistryTag) => Date.parse(t.created_at ?? t.published_at ?? '');
  const out = new Map<string, TagDecision>();
  const stay = (name: string, reason: string) => out.set(name, { name, delete: false, reason });
  const candidates: RegistryTag[] = [];
  for (const t of tags) {
    if (t.name === 'latest') stay(t.name, 'latest is always kept');
    else if (!match || !match.matches(t.name)) stay(t.name, 'does not match name_regex');
    else if (keep?.matches(t.name)) stay(t.name, 'matches name_regex_keep');
    else if (Number.isNaN(created(t))) stay(t.name, 'has no manifest (no creation time)');
    else if (protectedPatterns.some((p) => p.matcher(t.name).find())) stay(t.name, 'protected or immutable tag');
    else candidates.push(t);
  }
  candidates.sort((a, b) => created(b) - created(a) || (a.name < b.name ? -1 : 1));
  candidates.forEach((t, i) => {
    if (rules.keep_n !== null && i < rules.keep_n) stay(t.name, `one of the ${rules.keep_n} newest (keep_n)`);
    else if (olderThan !== undefined && now - created(t) < olderThan) stay(t.name, `newer than ${rules.older_than} (older_than)`);
    else out.set(t.name, { name: t.name, delete: true, reason: 'matches name_regex, older than older_than and beyond keep_n' });
  });
  return tags.map((t) => out.get(t.name)!);
}
