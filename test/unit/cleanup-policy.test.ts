/** GitLab's cleanup policy algorithm: each rule alone and combined, edge values, latest, protected tags, hostile regexes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RE2JS } from 're2js';
import { evaluatePolicy, type PolicyRules } from '../../src/control/cleanup/policy.js';

const NOW = Date.UTC(2026, 5, 1);
const daysAgo = (d: number) => new Date(NOW - d * 864e5).toISOString();
const TAGS = [
  { name: 'latest', created_at: daysAgo(200) },
  { name: 'v1.0', created_at: daysAgo(120) },
  { name: 'v1.1', created_at: daysAgo(95) },
  { name: 'v2.0', created_at: daysAgo(40) },
  { name: 'v2.1', created_at: daysAgo(10) },
  { name: 'v2.2', created_at: daysAgo(1) },
  { name: 'main', created_at: daysAgo(100) },
  { name: 'release-1', created_at: daysAgo(300) },
  { name: 'v-dangling' },
];
const NONE: PolicyRules = { name_regex: null, name_regex_keep: null, keep_n: null, older_than: null };

function survivors(rules: Partial<PolicyRules>, protectedPatterns: string[] = []): string[] {
  const refusal = (tag: string) => (protectedPatterns.some((p) => RE2JS.compile(p).matcher(tag).find()) ? 'protected or immutable tag' : undefined);
  return evaluatePolicy(TAGS, { ...NONE, ...rules }, refusal, NOW)
    .filter((d) => !d.delete)
    .map((d) => d.name);
}

const CASES: Array<[string, Partial<PolicyRules>, string[], string[]?]> = [
  ['no name_regex deletes nothing', {}, TAGS.map((t) => t.name)],
  ['name_regex .* alone deletes every tag but latest and the dangling one', { name_regex: '.*' }, ['latest', 'v-dangling']],
  ['name_regex is anchored', { name_regex: 'v1' }, TAGS.map((t) => t.name)],
  ['name_regex v1.* deletes only v1 tags', { name_regex: 'v1.*' }, ['latest', 'v2.0', 'v2.1', 'v2.2', 'main', 'release-1', 'v-dangling']],
  ['name_regex_keep wins over name_regex', { name_regex: '.*', name_regex_keep: 'v2.*|main' }, ['latest', 'v2.0', 'v2.1', 'v2.2', 'main', 'v-dangling']],
  ['keep_n 1 keeps the newest candidate', { name_regex: '.*', keep_n: 1 }, ['latest', 'v2.2', 'v-dangling']],
  ['keep_n 5 keeps the five newest', { name_regex: '.*', keep_n: 5 }, ['latest', 'v1.1', 'v2.0', 'v2.1', 'v2.2', 'main', 'v-dangling']],
  ['keep_n 100 keeps everything', { name_regex: '.*', keep_n: 100 }, TAGS.map((t) => t.name)],
  ['older_than 7d keeps the last week', { name_regex: '.*', older_than: '7d' }, ['latest', 'v2.2', 'v-dangling']],
  ['older_than 90d keeps the last 90 days', { name_regex: '.*', older_than: '90d' }, ['latest', 'v2.0', 'v2.1', 'v2.2', 'v-dangling']],
  ['keep_n and older_than together: kept by either', { name_regex: '.*', keep_n: 1, older_than: '14d' }, ['latest', 'v2.1', 'v2.2', 'v-dangling']],
  ['everything combined', { name_regex: 'v.*|main|release-.*', name_regex_keep: 'main', keep_n: 1, older_than: '30d' }, ['latest', 'v2.1', 'v2.2', 'main', 'v-dangling']],
  ['protected and immutable tags stay', { name_regex: '.*' }, ['latest', 'v1.0', 'release-1', 'v-dangling'], ['^release-', '^v1\\.0$']],
  ['latest stays even when named by the regex', { name_regex: 'latest' }, TAGS.map((t) => t.name)],
];

describe('cleanup policy algorithm', () => {
  for (const [name, rules, expected, prot] of CASES) {
    it(name, () => assert.deepEqual(survivors(rules, prot).sort(), [...expected].sort()));
  }

  it('explains every decision', () => {
    const d = evaluatePolicy(TAGS, { ...NONE, name_regex: 'v.*', name_regex_keep: 'v1\\.0', keep_n: 1, older_than: '30d' }, () => undefined, NOW);
    const why = Object.fromEntries(d.map((x) => [x.name, x.reason]));
    assert.match(why.latest!, /latest/);
    assert.match(why.main!, /does not match name_regex/);
    assert.match(why['v1.0']!, /name_regex_keep/);
    assert.match(why['v2.2']!, /keep_n/);
    assert.match(why['v2.1']!, /older_than/);
    assert.match(why['v1.1']!, /older than older_than and beyond keep_n/);
    assert.match(why['v-dangling']!, /no manifest/);
  });

  it('hostile regexes finish in linear time', () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({ name: `${'a'.repeat(60)}${i}!`, created_at: daysAgo(100) }));
    const started = Date.now();
    evaluatePolicy(many, { ...NONE, name_regex: '(a+)+$', name_regex_keep: '(a|a)*b' }, () => undefined, NOW);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  });
});
