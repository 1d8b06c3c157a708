/**
 * Repository name and tag rules (OCI Distribution Spec v1.1). A valid name can
 * never contain `..`, empty segments or characters outside [a-z0-9._/-], so it
 * cannot escape the storage root.
 */
import { regErr } from './errors.js';

/** Names are limited to 255 characters in total, as Distribution does. */
export const MAX_NAME_LENGTH = 255;

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** True when `name` is a valid repository name. */
export function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && NAME.test(name);
}

/** Throws NAME_INVALID unless `name` is a valid repository name. */
export function assertName(name: string): string {
  if (!isValidName(name)) {
    const reason = name.length > MAX_NAME_LENGTH ? `longer than ${MAX_NAME_LENGTH} characters` : 'must match [a-z0-9]+((.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((.|_|__|-+)[a-z0-9]+)*)*';
    throw regErr('NAME_INVALID', 'invalid repository name', { name: name.slice(0, 300), reason });
  }
  return name;
}

/** True when `tag` is a valid tag. */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Throws TAG_INVALID unless `tag` is valid. */
export function assertTag(tag: string): string {
  if (!isValidTag(tag)) throw regErr('TAG_INVALID', 'invalid tag', { tag: tag.slice(0, 200), reason: 'must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}' });
  return tag;
}
