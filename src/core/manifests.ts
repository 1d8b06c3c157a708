/**
 * Manifest and tag operations of the data plane: validate and store pushed
 * manifests, resolve tags and digests for pulls, delete, list tags and
 * referrers. Payload bytes are stored exactly as pushed, as a blob.
 */
import { LRUCache } from 'lru-cache';
import type { MetadataStore, Page } from '../metadata/store.js';
import { digestOf, tryParseDigest, type Digest } from '../oci/digest.js';
import { regErr } from '../oci/errors.js';
import { assertTag, isValidTag } from '../oci/names.js';
import { mediaTypeOf, parseJson, parseManifest, type ParseOptions, type ParsedManifest } from '../manifest/parse.js';
import { OCI_EMPTY, OCI_MANIFEST } from '../manifest/media-types.js';
import type { BlobContent } from './blob-content.js';

/** A manifest as served to a client. */
export interface StoredManifest {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly payload: Buffer;
}

/** The result of a manifest push. */
export interface PutResult {
  readonly digest: Digest;
  readonly subject?: Digest | undefined;
  readonly mediaType: string;
  readonly size: number;
}

/** A referrer as the referrers API lists it. */
export interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** Options of the manifest service. */
export interface ManifestServiceOptions extends ParseOptions {
  /** Skip the check that referenced blobs and manifests exist (`validation.disabled`). */
  readonly skipReferenceCheck: boolean;
  /** Maximum number of references a manifest may have; 0 means no limit. */
  readonly referenceLimit: number;
}

/** Manifest and tag operations over the metadata store and blob content. */
export class ManifestService {
  private readonly mediaTypes = new LRUCache<string, string>({ max: 50_000 });
  private readonly payloads = new LRUCache<string, Buffer>({ maxSize: 64 * 1024 * 1024, sizeCalculation: (b) => b.length || 1 });

  constructor(
    private readonly metadata: MetadataStore,
    private readonly content: BlobContent,
    private readonly options: ManifestServiceOptions,
  ) {}

  /** Resolves a tag or digest reference to a digest present in the repository. */
  async resolve(name: string, reference: string): Promise<Digest> {
    const asDigest = reference.includes(':') ? tryParseDigest(reference) : undefined;
    if (reference.includes(':') && !asDigest) throw regErr('DIGEST_INVALID', 'invalid digest', { reference: reference.slice(0, 200) });
    if (asDigest) {
      if (!(await this.metadata.isManifestLinked(name, asDigest))) throw regErr('MANIFEST_UNKNOWN', undefined, { name, reference });
      return asDigest;
    }
    // A reference that is no valid tag names no manifest: 404, as the OCI conformance suite expects
    // (and Distribution answers) for GET and HEAD; a PUT to it is refused as TAG_INVALID elsewhere.
    if (!isValidTag(reference)) throw regErr('MANIFEST_UNKNOWN', undefined, { name, reference: reference.slice(0, 200) });
    const d = await this.metadata.resolveTag(name, reference);
    if (!d) throw regErr('MANIFEST_UNKNOWN', undefined, { name, tag: reference });
    return d;
  }

  /** Fetches a manifest by tag or digest. */
  async get(name: string, reference: string): Promise<StoredManifest> {
    const digest = await this.resolve(name, reference);
    const payload = await this.payloadOf(name, digest);
    if (!payload) throw regErr('MANIFEST_UNKNOWN', 'manifest payload is missing from storage', { digest: digest.value });
    return { digest, mediaType: this.mediaTypeOf(digest, payload), payload };
  }

  /** Payload bytes from the metadata store (database) or storage (legacy); cached by digest, as content never changes. */
  private async payloadOf(name: string, digest: Digest): Promise<Buffer | undefined> {
    if (!this.metadata.storesPayloads) return this.content.read(digest);
    const cached = this.payloads.get(digest.value);
    if (cached) return cached;
    const payload = await this.metadata.manifestPayload(name, digest);
    if (payload) this.payloads.set(digest.value, payload);
    return payload;
  }

  private mediaTypeOf(digest: Digest, payload: Buffer): string {
    let mt = this.mediaTypes.get(digest.value);
    if (mt === undefined) {
      try {
        mt = mediaTypeOf(payload);
      } catch {
        mt = 'application/octet-stream';
      }
      this.mediaTypes.set(digest.value, mt);
    }
    return mt;
  }

  /** Validates and stores a pushed manifest, tagging it when `reference` is a tag. */
  async put(name: string, reference: string, body: Buffer, contentType: string | undefined): Promise<PutResult> {
    const refDigest = reference.includes(':') ? tryParseDigest(reference) : undefined;
    if (reference.includes(':') && !refDigest) throw regErr('DIGEST_INVALID', 'invalid digest', { reference: reference.slice(0, 200) });
    if (!refDigest) assertTag(reference);
    const parsed = parseManifest(body, contentType, this.options);
    const algorithm = refDigest?.algorithm ?? 'sha256';
    const digest = tryParseDigest(digestOf(parsed.canonical ?? body, algorithm)) as Digest;
    if (refDigest && refDigest.value !== digest.value) {
      throw regErr('DIGEST_INVALID', 'manifest digest does not match the reference', { expected: refDigest.value, actual: digest.value });
    }
    await this.checkReferences(name, parsed);
    if (!this.metadata.storesPayloads) await this.content.write(digest, body);
    this.mediaTypes.set(digest.value, parsed.mediaType);
    await this.metadata.putManifest(
      name,
      {
        digest,
        mediaType: parsed.mediaType,
        size: body.length,
        artifactType: parsed.artifactType,
        annotations: parsed.annotations,
        subject: parsed.subject,
        payload: body,
        blobs: parsed.blobs,
        config: parsed.config?.digest,
        manifests: parsed.manifests.map((m) => m.digest),
      },
      refDigest ? undefined : reference,
    );
    return { digest, subject: parsed.subject, mediaType: parsed.mediaType, size: body.length };
  }

  private async checkReferences(name: string, parsed: ParsedManifest): Promise<void> {
    const refs = parsed.blobs.length + parsed.manifests.length;
    if (this.options.referenceLimit > 0 && refs > this.options.referenceLimit) {
      throw regErr('MANIFEST_INVALID', 'manifest has too many references', { references: refs, limit: this.options.referenceLimit });
    }
    if (this.options.skipReferenceCheck) return;
    const missing: string[] = [];
    await Promise.all([
      ...parsed.blobs.map(async (b) => {
        if (!(await this.metadata.isBlobLinked(name, b.digest))) missing.push(b.digest.value);
      }),
      ...parsed.manifests.map(async (m) => {
        if (!(await this.metadata.isManifestLinked(name, m.digest))) missing.push(m.digest.value);
      }),
    ]);
    if (missing.length > 0) throw regErr('MANIFEST_BLOB_UNKNOWN', undefined, { missing: missing.sort() });
  }

  /** Deletes a manifest by digest (and every tag on it), or only a tag when given one. */
  async delete(name: string, reference: string): Promise<void> {
    const digest = reference.includes(':') ? tryParseDigest(reference) : undefined;
    if (reference.includes(':') && !digest) throw regErr('DIGEST_INVALID', 'invalid digest', { reference: reference.slice(0, 200) });
    if (digest) {
      if (!(await this.metadata.deleteManifest(name, digest))) throw regErr('MANIFEST_UNKNOWN', undefined, { name, digest: digest.value });
      return;
    }
    assertTag(reference);
    if (!(await this.metadata.untag(name, reference))) throw regErr('MANIFEST_UNKNOWN', undefined, { name, tag: reference });
  }

  /** A page of tags; NAME_UNKNOWN when the repository does not exist. */
  async tags(name: string, limit: number, last?: string): Promise<Page<string>> {
    const page = await this.metadata.listTags(name, limit, last);
    if (!page) throw regErr('NAME_UNKNOWN', undefined, { name });
    return page;
  }

  /** Descriptors of the manifests whose subject is `subject`, optionally of one artifact type. */
  async referrers(name: string, subject: Digest, artifactType?: string): Promise<ReferrerDescriptor[]> {
    const digests = await this.metadata.listReferrers(name, subject);
    const out: ReferrerDescriptor[] = [];
    for (const d of digests) {
      const payload = await this.payloadOf(name, d);
      if (!payload) continue;
      const doc = parseJson(payload);
      const mediaType = this.mediaTypeOf(d, payload);
      const config = doc.config as { mediaType?: unknown } | undefined;
      const at = typeof doc.artifactType === 'string' ? doc.artifactType : mediaType === OCI_MANIFEST && typeof config?.mediaType === 'string' && config.mediaType !== OCI_EMPTY ? config.mediaType : undefined;
      if (artifactType !== undefined && at !== artifactType) continue;
      const desc: ReferrerDescriptor = { mediaType, digest: d.value, size: payload.length };
      if (at) desc.artifactType = at;
      if (doc.annotations && typeof doc.annotations === 'object') desc.annotations = doc.annotations as Record<string, string>;
      out.push(desc);
    }
    return out.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  }
}
