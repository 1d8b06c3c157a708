/**
 * Manifest parsing and structural validation for every format of SPEC 1.3.
 * The result lists what must already exist in the repository (blobs and child
 * manifests); checking that is the manifest service's job.
 */
import { regErr } from '../oci/errors.js';
import { tryParseDigest, type Digest } from '../oci/digest.js';
import * as MT from './media-types.js';
import { verifySchema1 } from './schema1.js';
import { parseBounded } from '../oci/json-bounds.js';

/** A validated content descriptor. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly urls?: string[] | undefined;
  readonly artifactType?: string | undefined;
  readonly annotations?: Record<string, string> | undefined;
}

/** What a manifest is and what it references. */
export interface ParsedManifest {
  readonly mediaType: string;
  /** Blobs (config, layers) that must be linked in the repository. */
  readonly blobs: Descriptor[];
  /** The configuration blob of an image manifest (also in {@link blobs}). */
  readonly config?: Descriptor | undefined;
  /** Child manifests that must be present in the repository. */
  readonly manifests: Descriptor[];
  readonly subject?: Digest | undefined;
  readonly artifactType?: string | undefined;
  readonly annotations?: Record<string, string> | undefined;
  /** Bytes the digest is computed over when they differ from the body (signed schema 1). */
  readonly canonical?: Buffer | undefined;
}

/** Policy inputs of validation. */
export interface ParseOptions {
  readonly schema1: boolean;
  readonly urls: { readonly allow: readonly RegExp[]; readonly deny: readonly RegExp[] };
}

type Json = Record<string, unknown>;
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

const invalid = (reason: string, extra?: Json) => regErr('MANIFEST_INVALID', 'manifest invalid', { reason, ...extra });
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v) || Object.values(v).some((x) => typeof x !== 'string')) throw invalid(`${where} must be a map of strings`);
  return v as Record<string, string>;
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isObj(v)) throw invalid(`${where} must be an object`);
  const { mediaType, digest, size, urls, artifactType, annotations } = v;
  if (typeof mediaType !== 'string' || !MEDIA_TYPE.test(mediaType)) throw invalid(`${where}.mediaType is missing or malformed`);
  const d = typeof digest === 'string' ? tryParseDigest(digest) : undefined;
  if (!d) throw invalid(`${where}.digest is missing or malformed`, { digest });
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${where}.size must be a non-negative integer`);
  if (urls !== undefined && (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string'))) throw invalid(`${where}.urls must be a list of strings`);
  if (artifactType !== undefined && (typeof artifactType !== 'string' || !MEDIA_TYPE.test(artifactType))) throw invalid(`${where}.artifactType is malformed`);
  return { mediaType, digest: d, size, urls: urls as string[] | undefined, artifactType: artifactType as string | undefined, annotations: stringMap(annotations, `${where}.annotations`) };
}

function descriptors(v: unknown, where: string): Descriptor[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`${where} must be a list`);
  return v.map((x, i) => descriptor(x, `${where}[${i}]`));
}

/** Picks the media type from the body's `mediaType`, the Content-Type, or the shape of the document. */
function detectMediaType(doc: Json, contentType: string | undefined): string {
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const header = contentType?.split(';')[0]?.trim().toLowerCase();
  const usable = header && header !== 'application/json' && header !== 'application/octet-stream' ? header : undefined;
  if (declared && usable && declared !== usable && !(MT.SCHEMA1_TYPES.has(declared) && MT.SCHEMA1_TYPES.has(usable))) {
    throw invalid('mediaType in the manifest does not match Content-Type', { mediaType: declared, contentType: header });
  }
  if (declared) return declared;
  if (usable) return usable;
  if (doc.schemaVersion === 1) return Array.isArray(doc.signatures) ? MT.DOCKER_SCHEMA1_SIGNED : MT.DOCKER_SCHEMA1;
  if (Array.isArray(doc.manifests)) return MT.OCI_INDEX;
  if (isObj(doc.config)) return MT.OCI_MANIFEST;
  throw invalid('cannot tell the manifest type: no mediaType, Content-Type or recognisable shape');
}

/** Parses the JSON of a stored or pushed manifest; MANIFEST_INVALID when it is not an object. */
export function parseJson(bytes: Buffer): Json {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalid('not valid JSON', { error: (err as Error).message });
  }
  if (!isObj(doc)) throw invalid('a manifest must be a JSON object');
  return doc;
}

/** The media type of stored manifest bytes (no validation of references). */
export function mediaTypeOf(bytes: Buffer): string {
  return detectMediaType(parseJson(bytes), undefined);
}

/** Parses and validates a pushed manifest. */
export function parseManifest(bytes: Buffer, contentType: string | undefined, opts: ParseOptions): ParsedManifest {
  // Pushed bytes (stored ones were checked when pushed): bounded before they are parsed, storable after.
  const parsed = parseBounded(bytes);
  if (!parsed.ok) throw invalid(parsed.problem);
  if (!isObj(parsed.value)) throw invalid('a manifest must be a JSON object');
  const doc = parsed.value;
  const mediaType = detectMediaType(doc, contentType);
  switch (mediaType) {
    case MT.OCI_MANIFEST:
    case MT.DOCKER_MANIFEST:
      return imageManifest(doc, mediaType, opts);
    case MT.OCI_INDEX:
    case MT.DOCKER_LIST:
      return imageIndex(doc, mediaType);
    case MT.DOCKER_SCHEMA1:
    case MT.DOCKER_SCHEMA1_SIGNED:
    case 'application/json':
      return schema1(bytes, doc, opts);
    default:
      throw invalid(`unsupported manifest media type ${mediaType}`);
  }
}

function checkVersion(doc: Json, want: number): void {
  if (doc.schemaVersion !== want) throw invalid(`schemaVersion must be ${want}`, { schemaVersion: doc.schemaVersion });
}

function imageManifest(doc: Json, mediaType: string, opts: ParseOptions): ParsedManifest {
  checkVersion(doc, 2);
  if (doc.config === undefined) throw invalid('config is required');
  const config = descriptor(doc.config, 'config');
  if (mediaType === MT.DOCKER_MANIFEST && doc.artifactType !== undefined) throw invalid('artifactType is not allowed in a Docker manifest');
  const layers = descriptors(doc.layers, 'layers');
  const blobs = [config];
  for (const [i, l] of layers.entries()) {
    if (MT.FOREIGN_LAYERS.has(l.mediaType) && l.urls && l.urls.length > 0) {
      for (const u of l.urls) checkForeignUrl(u, `layers[${i}].urls`, opts);
      continue;
    }
    blobs.push(l);
  }
  const artifactType = typeof doc.artifactType === 'string' ? doc.artifactType : config.mediaType !== MT.OCI_EMPTY && mediaType === MT.OCI_MANIFEST ? config.mediaType : undefined;
  if (doc.artifactType !== undefined && (typeof doc.artifactType !== 'string' || !MEDIA_TYPE.test(doc.artifactType))) throw invalid('artifactType is malformed');
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, 'subject').digest;
  return { mediaType, blobs, config, manifests: [], subject, artifactType, annotations: stringMap(doc.annotations, 'annotations') };
}

function checkForeignUrl(u: string, where: string, opts: ParseOptions): void {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw invalid(`${where} holds a malformed URL`, { url: u });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`${where} must use http or https`, { url: u });
  const allowed = opts.urls.allow.some((re) => re.test(u)) && !opts.urls.deny.some((re) => re.test(u));
  if (!allowed) throw invalid(`${where} is not allowed by validation.manifests.urls`, { url: u });
}

function imageIndex(doc: Json, mediaType: string): ParsedManifest {
  checkVersion(doc, 2);
  if (!Array.isArray(doc.manifests)) throw invalid('manifests must be a list');
  const children = descriptors(doc.manifests, 'manifests');
  // BuildKit cache indexes list layer blobs here, not manifests: those must be blobs of the repository.
  const manifests = children.filter((c) => MT.MANIFEST_TYPES.has(c.mediaType));
  const blobs = children.filter((c) => !MT.MANIFEST_TYPES.has(c.mediaType));
  if (mediaType === MT.DOCKER_LIST && blobs.length > 0) throw invalid('a Docker manifest list may only list manifests');
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, 'subject').digest;
  if (doc.artifactType !== undefined && (typeof doc.artifactType !== 'string' || !MEDIA_TYPE.test(doc.artifactType))) throw invalid('artifactType is malformed');
  return { mediaType, blobs, manifests, subject, artifactType: doc.artifactType as string | undefined, annotations: stringMap(doc.annotations, 'annotations') };
}

function schema1(bytes: Buffer, doc: Json, opts: ParseOptions): ParsedManifest {
  if (!opts.schema1) throw regErr('UNSUPPORTED', 'schema 1 manifests are disabled (set compatibility.schema1.enabled)');
  checkVersion(doc, 1);
  if (!Array.isArray(doc.fsLayers) || !Array.isArray(doc.history) || doc.fsLayers.length !== doc.history.length) {
    throw invalid('fsLayers and history must be lists of the same length');
  }
  const blobs: Descriptor[] = doc.fsLayers.map((l: unknown, i: number) => {
    const d = isObj(l) && typeof l.blobSum === 'string' ? tryParseDigest(l.blobSum) : undefined;
    if (!d) throw invalid(`fsLayers[${i}].blobSum is missing or malformed`);
    return { mediaType: 'application/octet-stream', digest: d, size: 0 };
  });
  const signed = doc.signatures !== undefined;
  const canonical = signed ? verifySchema1(bytes, doc) : undefined;
  return { mediaType: signed ? MT.DOCKER_SCHEMA1_SIGNED : MT.DOCKER_SCHEMA1, blobs, manifests: [], canonical };
}
