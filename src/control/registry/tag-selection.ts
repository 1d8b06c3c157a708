/**
 * Which tags a bulk tag delete removes, as GitLab's API does it: only tags
 * matching `name_regex_delete` (anchored), never `latest`, never those
 * matching `name_regex_keep`, then the `keep_n` newest of the rest are kept,
 * and so are those newer than `older_than`. Regexes run on RE2 (linear time:
 * a hostile pattern cannot hang the worker). Each decision says why.
 */
import { RE2JS } from 're2js';
import type { RegistryTag } from '../registry-client.js';

/** The rules of a bulk delete. */
export interface TagSelection {
  readonly nameRegexDelete: string;
  readonly nameRegexKeep?: string | undefined;
  readonly keepN?: number | undefined;
  /** Milliseconds: tags younger than this are kept. */
  readonly olderThanMs?: number | undefined;
}

/** One tag's fate. */
export interface TagDecision {
  readonly name: string;
  readonly delete: boolean;
  readonly reason: string;
}

/** Compiles an anchored RE2 pattern; throws with a readable message. */
export function compileAnchored(pattern: string): RE2JS {
  if (pattern.length > 255) throw new Error('the regex is longer than 255 characters');
  return RE2JS.compile(`^(?:${pattern})$`);
}

/** Parses `older_than` (`90s`, `15m`, `1h`, `7d`, `2w`, `1month`, `1y`) to milliseconds. */
export function parseOlderThan(text: string): number | undefined {
  const m = /^(\d{1,6})\s*(s|m|h|d|w|month|months|y)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, month: 2.592e9, months: 2.592e9, y: 3.1536e10 }[m[2] as 's'];
  return Number(m[1]) * unit;
}

/** Decides every tag's fate; `now` is injectable for tests. */
export function selectTags(tags: readonly RegistryTag[], rules: TagSelection, now = Date.now()): TagDecision[] {
  const del = compileAnchored(rules.nameRegexDelete);
  const keep = rules.nameRegexKeep ? compileAnchored(rules.nameRegexKeep) : undefined;
  const created = (t: RegistryTag) => Date.parse(t.created_at ?? t.published_at ?? '') || 0;
  const decisions = new Map<string, TagDecision>();
  const candidates: RegistryTag[] = [];
  for (const t of tags) {
    if (t.name === 'latest') decisions.set(t.name, { name: t.name, delete: false, reason: 'latest is never deleted' });
    else if (!del.matches(t.name)) decisions.set(t.name, { name: t.name, delete: false, reason: 'does not match name_regex_delete' });
    else if (keep?.matches(t.name)) decisions.set(t.name, { name: t.name, delete: false, reason: 'matches name_regex_keep' });
    else candidates.push(t);
  }
  candidates.sort((a, b) => created(b) - created(a) || a.name.localeCompare(b.name));
  candidates.forEach((t, i) => {
    if (rules.keepN !== undefined && i < rules.keepN) decisions.set(t.name, { name: t.name, delete: false, reason: `one of the ${rules.keepN} newest (keep_n)` });
    else if (rules.olderThanMs !== undefined && now - created(t) < rules.olderThanMs) decisions.set(t.name, { name: t.name, delete: false, reason: 'newer than older_than' });
    else decisions.set(t.name, { name: t.name, delete: true, reason: 'matches name_regex_delete and no rule keeps it' });
  });
  return tags.map((t) => decisions.get(t.name)!);
}
