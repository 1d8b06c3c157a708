/**
 * Tag protection and immutability carried in a token's access `meta`
 * (GitLab's `tag_deny_access_patterns` and `tag_immutable_patterns`):
 * RE2 patterns, at most 5 in all and 100 characters each, matched with a
 * linear-time engine so a hostile pattern cannot stall the registry.
 */
import { RE2JS } from 're2js';
import { regErr } from '../oci/errors.js';
import type { AccessMeta } from './claims.js';

const MAX_PATTERNS = 5;
const MAX_PATTERN_LENGTH = 100;

/**
 * Whether a tag rule's pattern matches `tag`, as the registry decides it (RE2,
 * unanchored search): the control plane asks this too, so both sides agree.
 * Throws the RE2 compile error for an invalid pattern.
 */
export function tagMatches(pattern: string, tag: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern);
    // Patterns are few per project and come back on every push, delete and cleanup of a tag: compile each once.
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re.matcher(tag).find();
}

const compiled = new Map<string, RE2JS>();

function matches(patterns: readonly string[], tag: string, code: 'INVALID_TAG_PROTECTION_PATTERN' | 'INVALID_TAG_IMMUTABILITY_PATTERN'): boolean {
  return patterns.some((p) => {
    if (p.length > MAX_PATTERN_LENGTH) throw regErr(code, undefined, `pattern ${JSON.stringify(p.slice(0, 120))} exceeds length limit of ${MAX_PATTERN_LENGTH}`);
    try {
      return tagMatches(p, tag);
    } catch (err) {
      throw regErr(code, undefined, `failed compiling pattern ${JSON.stringify(p)}: ${(err as Error).message}`);
    }
  });
}

function counted(meta: AccessMeta | undefined, action: 'push' | 'delete'): { deny: readonly string[]; immutable: readonly string[] } {
  const deny = meta?.tag_deny_access_patterns?.[action] ?? [];
  const immutable = meta?.tag_immutable_patterns ?? [];
  if (deny.length + immutable.length > MAX_PATTERNS) throw regErr('TAG_PATTERN_COUNT', undefined, `tag pattern count exceeds ${MAX_PATTERNS}`);
  return { deny, immutable };
}

/** Before pushing `tag`: PROTECTED_TAG when push is denied, IMMUTABLE_TAG when it exists and is immutable. */
export function checkTagPush(meta: AccessMeta | undefined, tag: string, exists: () => Promise<boolean>): Promise<void> | void {
  const { deny, immutable } = counted(meta, 'push');
  if (matches(deny, tag, 'INVALID_TAG_PROTECTION_PATTERN')) throw regErr('PROTECTED_TAG', undefined, `tag ${JSON.stringify(tag)} is protected`);
  if (immutable.length > 0 && matches(immutable, tag, 'INVALID_TAG_IMMUTABILITY_PATTERN')) {
    return exists().then((found) => {
      if (found) throw regErr('IMMUTABLE_TAG', undefined, `tag ${JSON.stringify(tag)} is immutable`);
    });
  }
}

/** Before deleting `tag`: PROTECTED_TAG or IMMUTABLE_TAG when a pattern matches. */
export function checkTagDelete(meta: AccessMeta | undefined, tag: string): void {
  const { deny, immutable } = counted(meta, 'delete');
  if (matches(deny, tag, 'INVALID_TAG_PROTECTION_PATTERN')) throw regErr('PROTECTED_TAG', undefined, `tag ${JSON.stringify(tag)} is protected`);
  if (matches(immutable, tag, 'INVALID_TAG_IMMUTABILITY_PATTERN')) throw regErr('IMMUTABLE_TAG', undefined, `tag ${JSON.stringify(tag)} is immutable`);
}

/**
 * Before deleting a manifest by digest (which deletes its tags too): refused
 * with PROTECTED_MANIFEST whenever any delete-deny or immutability pattern is
 * present, as GitLab's registry does (checking the tags first would race).
 */
export function checkManifestDelete(meta: AccessMeta | undefined): void {
  const { deny, immutable } = counted(meta, 'delete');
  if (deny.length > 0 || immutable.length > 0) throw regErr('PROTECTED_MANIFEST', undefined, 'the manifest may carry protected or immutable tags; delete its tags instead');
}
