/**
 * What each registry request needs from a token, as Distribution asks for it:
 * reads need `pull`, uploads and manifest pushes `pull,push`, deletes
 * `delete`, the catalog `registry:catalog:*`, and `/v2/` only a valid token.
 */
import type { Route } from '../registry/routes.js';
import type { Scope } from './scope.js';

const READS = new Set(['GET', 'HEAD']);

/** The scopes a request on `route` with `method` needs (empty: any valid token). */
export function neededScopes(route: Route, method: string): Scope[] {
  const repo = (actions: string[]): Scope[] => ('name' in route ? [{ type: 'repository', name: route.name, actions }] : []);
  switch (route.kind) {
    case 'base':
      return [];
    case 'catalog':
      return [{ type: 'registry', name: 'catalog', actions: ['*'] }];
    case 'tags':
    case 'referrers':
      return repo(['pull']);
    case 'manifest':
    case 'blob':
      if (READS.has(method)) return repo(['pull']);
      if (method === 'DELETE') return repo(['delete']);
      return repo(['pull', 'push']);
    case 'upload-start':
    case 'upload':
      return repo(['pull', 'push']);
    // GitLab's registry: pull to read a repository, pull on `<path>/*` to list under a path,
    // push on the repository and on `<path>/*` to rename.
    case 'gitlab-base':
      return [];
    case 'gitlab-tags':
    case 'gitlab-tag':
      return repo(['pull']);
    case 'gitlab-repository':
      return method === 'PATCH' ? [...repo(['push']), { type: 'repository', name: `${route.name}/*`, actions: ['push'] }] : repo(['pull']);
    case 'gitlab-subrepositories':
      return [{ type: 'repository', name: `${route.name}/*`, actions: ['pull'] }];
  }
}
