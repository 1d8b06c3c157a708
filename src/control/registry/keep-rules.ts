/**
 * The one list of rules that decides which tags a bulk delete (REST
 * `DELETE …/tags?name_regex_delete=`) or a cleanup policy removes, GitLab's
 * algorithm in order, each step recording why a tag stays:
 *
 *   1. `latest` is never deleted;
 *   2. only tags matching the delete regex (anchored) are candidates;
 *   3. tags matching the keep regex stay;
 *   4. tags without a manifest (no creation time) stay — cleanup only; a bulk
 *      delete treats them as the oldest, as GitLab's API does;
 *   5. tags the actor may not delete stay (protected or immutable: the tag
 *      guard names the rule);
 *   6. candidates newest first: the first `keep_n` stay;
 *   7. candidates newer than `older_than` stay;
 *   8. the rest are deleted.
 *
 * Regexes run on RE2 (linear time: a hostile pattern cannot hang a worker).
 */
import { RE2JS } from 're2js';
import type { RegistryTag } from '../registry-client.js';

/** One tag's fate. */
export interface TagDecision {
  readonly name: string;
  readonly delete: boolean;
  readonly reason: string;
}

/** The rules of one run, in the words of its API (for the reasons). */
export interface KeepRules {
  /** The delete regex and the parameter that set it (`name_regex_delete`, `name_regex`); null: nothing matches. */
  readonly deleteRegex: { readonly pattern: string | null; readonly param: string };
  readonly keepRegex?: string | null | undefined;
  readonly keepN?: number | null | undefined;
  /** Tags younger than this stay, with the parameter's own text for the reason (`7d`). */
  readonly olderThan?: { readonly ms: number; readonly text: string } | undefined;
  /** Step 4: tags with no creation time stay (cleanup), or count as the oldest (bulk delete). */
  readonly keepUndated: boolean;
  /** Step 5: why the actor may not delete a tag, or undefined. */
  readonly refusal?: ((tag: string) => string | undefined) | undefined;
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

/** Decides every tag's fate (in the order given); `now` is injectable for tests. */
export function decideTags(tags: readonly RegistryTag[], rules: KeepRules, now: number): TagDecision[] {
  const match = rules.deleteRegex.pattern ? compileAnchored(rules.deleteRegex.pattern) : undefined;
  const keep = rules.keepRegex ? compileAnchored(rules.keepRegex) : undefined;
  const created = (t: RegistryTag) => Date.parse(t.created_at ?? t.published_at ?? '');
  const age = (t: RegistryTag) => (Number.isNaN(created(t)) ? 0 : created(t));
  const out = new Map<string, TagDecision>();
  const stay = (name: string, reason: string) => out.set(name, { name, delete: false, reason });
  // Steps 1–5: each tag either stays, with the first reason that applies, or becomes a candidate.
  const filters: Array<(t: RegistryTag) => string | undefined> = [
    (t) => (t.name === 'latest' ? 'latest is never deleted' : undefined),
    (t) => (!match?.matches(t.name) ? `does not match ${rules.deleteRegex.param}` : undefined),
    (t) => (keep?.matches(t.name) ? 'matches name_regex_keep' : undefined),
    (t) => (rules.keepUndated && Number.isNaN(created(t)) ? 'has no manifest (no creation time)' : undefined),
    (t) => rules.refusal?.(t.name),
  ];
  const candidates: RegistryTag[] = [];
  for (const t of tags) {
    let reason: string | undefined;
    for (const f of filters) if ((reason = f(t)) !== undefined) break;
    if (reason !== undefined) stay(t.name, reason);
    else candidates.push(t);
  }
  // Steps 6–8, newest first.
  candidates.sort((a, b) => age(b) - age(a) || (a.name < b.name ? -1 : 1));
  candidates.forEach((t, i) => {
    if (rules.keepN != null && i < rules.keepN) stay(t.name, `one of the ${rules.keepN} newest (keep_n)`);
    else if (rules.olderThan && now - age(t) < rules.olderThan.ms) stay(t.name, `newer than ${rules.olderThan.text} (older_than)`);
    else out.set(t.name, { name: t.name, delete: true, reason: `matches ${rules.deleteRegex.param}, older than older_than and beyond keep_n` });
  });
  return tags.map((t) => out.get(t.name) as TagDecision);
}
