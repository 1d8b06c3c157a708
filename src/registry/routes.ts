/**
 * The one route table of the registry: `/v2/...` (the distribution API) and
 * `/gitlab/v1/...` (GitLab's API, database mode). Maps a path to a route. Matching runs from the end of the path, so
 * repository names may contain any segment (even `blobs` or `manifests`).
 * Percent-encoding is never decoded: names, tags and digests cannot contain
 * `%`, so an encoded `..` is simply an invalid name.
 */

/** The routes of the registry API. */
export type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'upload-start'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'referrers'; name: string; digest: string }
  | { kind: 'gitlab-base' }
  | { kind: 'gitlab-repository'; name: string }
  | { kind: 'gitlab-tags'; name: string }
  | { kind: 'gitlab-tag'; name: string; tag: string }
  | { kind: 'gitlab-subrepositories'; name: string };

/** The methods each route answers. */
export const ROUTE_METHODS: Readonly<Record<Route['kind'], readonly string[]>> = {
  base: ['GET', 'HEAD'],
  catalog: ['GET'],
  tags: ['GET'],
  manifest: ['GET', 'HEAD', 'PUT', 'DELETE'],
  blob: ['GET', 'HEAD', 'DELETE'],
  'upload-start': ['POST'],
  upload: ['GET', 'PATCH', 'PUT', 'DELETE'],
  referrers: ['GET'],
  'gitlab-base': ['GET', 'HEAD'],
  'gitlab-repository': ['GET', 'HEAD', 'PATCH'],
  'gitlab-tags': ['GET', 'HEAD'],
  'gitlab-tag': ['GET', 'HEAD'],
  'gitlab-subrepositories': ['GET', 'HEAD'],
};

const PATTERNS: ReadonlyArray<[RegExp, (m: RegExpExecArray) => Route]> = [
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'upload-start', name: m[1] as string })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1] as string, id: m[2] as string })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1] as string, digest: m[2] as string })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1] as string, reference: m[2] as string })],
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1] as string })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1] as string, digest: m[2] as string })],
];

const GITLAB: ReadonlyArray<[RegExp, (m: RegExpExecArray) => Route]> = [
  [/^\/gitlab\/v1\/?$/, () => ({ kind: 'gitlab-base' })],
  [/^\/gitlab\/v1\/repositories\/(.+?)\/tags\/list\/?$/, (m) => ({ kind: 'gitlab-tags', name: m[1] as string })],
  [/^\/gitlab\/v1\/repositories\/(.+?)\/tags\/detail\/([^/]+)\/?$/, (m) => ({ kind: 'gitlab-tag', name: m[1] as string, tag: m[2] as string })],
  [/^\/gitlab\/v1\/repository-paths\/(.+?)\/repositories\/list\/?$/, (m) => ({ kind: 'gitlab-subrepositories', name: m[1] as string })],
  [/^\/gitlab\/v1\/repositories\/(.+?)\/?$/, (m) => ({ kind: 'gitlab-repository', name: m[1] as string })],
];

/** Matches a request path (without query) to a route, or undefined for 404. */
export function matchRoute(path: string): Route | undefined {
  if (path.startsWith('/gitlab/v1')) {
    for (const [re, make] of GITLAB) {
      const m = re.exec(path);
      if (m) return make(m);
    }
    return undefined;
  }
  if (path === '/v2/' || path === '/v2') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  if (!path.startsWith('/v2/')) return undefined;
  for (const [re, make] of PATTERNS) {
    const m = re.exec(path);
    if (m) return make(m);
  }
  return undefined;
}
