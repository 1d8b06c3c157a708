/**
 * A cleanup policy's rules and GitLab's allowed values; the verdict comes from
 * the one rule list shared with bulk deletes (`registry/keep-rules.ts`), which
 * records why each tag stays.
 */
import type { RegistryTag } from '../registry-client.js';
import { decideTags, parseOlderThan, type TagDecision } from '../registry/keep-rules.js';

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

/** Evaluates `rules` on `tags`; `refusal` says why a tag must stay (protected or immutable, naming the rule). */
export function evaluatePolicy(tags: readonly RegistryTag[], rules: PolicyRules, refusal: (tag: string) => string | undefined, now: number): TagDecision[] {
  const olderThanMs = rules.older_than ? parseOlderThan(rules.older_than) : undefined;
  return decideTags(
    tags,
    {
      deleteRegex: { pattern: rules.name_regex, param: 'name_regex' },
      keepRegex: rules.name_regex_keep,
      keepN: rules.keep_n,
      olderThan: olderThanMs === undefined || !rules.older_than ? undefined : { ms: olderThanMs, text: rules.older_than },
      keepUndated: true,
      refusal,
    },
    now,
  );
}
