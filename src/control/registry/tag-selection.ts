/**
 * The rules of a bulk tag delete (REST `DELETE …/tags?name_regex_delete=`), as
 * GitLab's API takes them, decided by the one rule list shared with cleanup
 * policies (`keep-rules.ts`).
 */
import type { RegistryTag } from '../registry-client.js';
import { decideTags, type TagDecision } from './keep-rules.js';

export { compileAnchored, parseOlderThan, type TagDecision } from './keep-rules.js';

/** The rules of a bulk delete. */
export interface TagSelection {
  readonly nameRegexDelete: string;
  readonly nameRegexKeep?: string | undefined;
  readonly keepN?: number | undefined;
  /** Milliseconds: tags younger than this are kept. */
  readonly olderThanMs?: number | undefined;
}

/** Decides every tag's fate; `refusal` names why the actor may not delete a tag; `now` is injectable for tests. */
export function selectTags(tags: readonly RegistryTag[], rules: TagSelection, now = Date.now(), refusal?: (tag: string) => string | undefined): TagDecision[] {
  return decideTags(
    tags,
    {
      deleteRegex: { pattern: rules.nameRegexDelete, param: 'name_regex_delete' },
      keepRegex: rules.nameRegexKeep,
      keepN: rules.keepN,
      olderThan: rules.olderThanMs === undefined ? undefined : { ms: rules.olderThanMs, text: `${Math.round(rules.olderThanMs / 1000)}s` },
      keepUndated: false,
      refusal,
    },
    now,
  );
}
