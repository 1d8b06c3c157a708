/**
 * The on-storage layout, Distribution's, in one place. Nothing else in Wharf
 * builds storage paths.
 *
 *   <root>/docker/registry/v2/
 *   ├── blobs/<alg>/<hex[0:2]>/<hex>/data                      blob bytes (layers, configs, manifests)
 *   └── repositories/<name>/
 *       ├── _layers/<alg>/<hex>/link                           blob linked into the repository
 *       ├── _manifests/
 *       │   ├── revisions/<alg>/<hex>/link                     manifest present in the repository
 *       │   └── tags/<tag>/
 *       │       ├── current/link                               digest the tag points at
 *       │       └── index/<alg>/<hex>/link                     every digest the tag has pointed at
 *       ├── _uploads/<uuid>/{data,startedat[,wharf-monolithic]} upload in progress
 *       └── _referrers/<alg>/<subject hex>/<alg>/<hex>/link    (Wharf) manifests whose subject is the digest
 *
 * A link file holds the digest string (`sha256:…`) and nothing else.
 * `_referrers` starts with `_`, so Distribution's catalog walk skips it.
 */
import type { Digest } from '../oci/digest.js';

/** Root of everything the registry stores. */
export const V2_ROOT = '/docker/registry/v2';
/** Root of all blob data. */
export const BLOBS_ROOT = `${V2_ROOT}/blobs`;
/** Root of all repositories. */
export const REPOSITORIES_ROOT = `${V2_ROOT}/repositories`;

/** Directory of one blob. */
export const blobDir = (d: Digest): string => `${BLOBS_ROOT}/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}`;
/** Bytes of one blob. */
export const blobDataPath = (d: Digest): string => `${blobDir(d)}/data`;

/** Directory of one repository. */
export const repoDir = (name: string): string => `${REPOSITORIES_ROOT}/${name}`;
/** Directory of the blob links of a repository (per algorithm below it). */
export const layersDir = (name: string): string => `${repoDir(name)}/_layers`;
/** Link that makes a blob visible in a repository. */
export const layerLinkPath = (name: string, d: Digest): string => `${layersDir(name)}/${d.algorithm}/${d.hex}/link`;
/** Directory of manifest revisions of a repository. */
export const revisionsDir = (name: string): string => `${repoDir(name)}/_manifests/revisions`;
/** Link that makes a manifest present in a repository. */
export const revisionLinkPath = (name: string, d: Digest): string => `${revisionsDir(name)}/${d.algorithm}/${d.hex}/link`;
/** Directory holding one directory per tag. */
export const tagsDir = (name: string): string => `${repoDir(name)}/_manifests/tags`;
/** Directory of one tag. */
export const tagDir = (name: string, tag: string): string => `${tagsDir(name)}/${tag}`;
/** Link with the digest a tag currently points at. */
export const tagCurrentLinkPath = (name: string, tag: string): string => `${tagDir(name, tag)}/current/link`;
/** Directory of the tag's history index. */
export const tagIndexDir = (name: string, tag: string): string => `${tagDir(name, tag)}/index`;
/** History entry of a tag for one digest. */
export const tagIndexLinkPath = (name: string, tag: string, d: Digest): string => `${tagIndexDir(name, tag)}/${d.algorithm}/${d.hex}/link`;
/** Directory of upload sessions of a repository. */
export const uploadsDir = (name: string): string => `${repoDir(name)}/_uploads`;
/** Directory of one upload session. */
export const uploadDir = (name: string, id: string): string => `${uploadsDir(name)}/${id}`;
/** Bytes received so far by an upload. */
export const uploadDataPath = (name: string, id: string): string => `${uploadDir(name, id)}/data`;
/** RFC 3339 start time of an upload. */
export const uploadStartedAtPath = (name: string, id: string): string => `${uploadDir(name, id)}/startedat`;
/** Marks a session opened for a single-request (monolithic) upload, which no client can resume; Distribution ignores it. */
export const uploadMonolithicPath = (name: string, id: string): string => `${uploadDir(name, id)}/wharf-monolithic`;
/** Directory of referrer links for one subject. */
export const referrersDir = (name: string, subject: Digest): string => `${repoDir(name)}/_referrers/${subject.algorithm}/${subject.hex}`;
/** Link recording that manifest `d` has `subject` as its subject. */
export const referrerLinkPath = (name: string, subject: Digest, d: Digest): string => `${referrersDir(name, subject)}/${d.algorithm}/${d.hex}/link`;
/** Last path segment. */
export const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
