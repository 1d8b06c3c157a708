/**
 * Resource scopes of Docker's token specification: `type:name:actions`, as
 * clients send them to the token endpoint and registries put them in
 * challenges. Parsing is strict: exactly three parts, a known type, a valid
 * repository name (or `<path>/*` for a whole namespace, as GitLab issues for
 * its own API calls), known actions. Anything else is not a scope.
 */
import { isValidName } from '../oci/names.js';

/** One resource and the actions asked for (or granted) on it. */
export interface Scope {
  readonly type: 'repository' | 'registry';
  readonly name: string;
  readonly actions: readonly string[];
}

const REPOSITORY_ACTIONS = new Set(['pull', 'push', 'delete', '*']);

/** True for a repository name, or a namespace wildcard `<valid name>/*`. */
export function isScopeName(name: string): boolean {
  return name.endsWith('/*') ? isValidName(name.slice(0, -2)) : isValidName(name);
}

/** Parses one scope string, or undefined when it is not exactly a valid scope. */
export function parseScope(text: string): Scope | undefined {
  const parts = text.split(':');
  if (parts.length !== 3) return undefined;
  const [type, name, actionList] = parts as [string, string, string];
  const actions = [...new Set(actionList.split(','))];
  if (actions.some((a) => a === '')) return undefined;
  if (type === 'repository') {
    if (!isScopeName(name) || !actions.every((a) => REPOSITORY_ACTIONS.has(a))) return undefined;
    return { type, name, actions };
  }
  if (type === 'registry') {
    if (name !== 'catalog' || actions.length !== 1 || actions[0] !== '*') return undefined;
    return { type, name, actions };
  }
  return undefined;
}

/** Parses the `scope` parameters of a token request: each may hold several scopes separated by spaces. Invalid ones are dropped. */
export function parseScopes(values: readonly string[]): Scope[] {
  return values
    .flatMap((v) => v.split(' '))
    .filter((s) => s !== '')
    .map(parseScope)
    .filter((s): s is Scope => s !== undefined);
}

/** Formats a scope as `type:name:a,b`. */
export function formatScope(scope: Scope): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(',')}`;
}
