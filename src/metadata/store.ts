/**
 * The metadata seam: what the registry needs to know about repositories,
 * links, manifests, tags and referrers. Legacy mode implements it as
 * Distribution's link files in storage; the database mode implements the same
 * interface over PostgreSQL. Blob bytes are not metadata: they live in storage
 * in both modes (see core/blob-content.ts).
 */
import type { Digest } from '../oci/digest.js';

/** What the registry records about a manifest when it is pushed. */
export interface ManifestRecord {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType?: string | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  /** The manifest this one refers to (`subject`), for the referrers API. */
  readonly subject?: Digest | undefined;
  /** The bytes as pushed (the database keeps them; legacy mode has them as a blob). */
  readonly payload: Buffer;
  /** Blobs the manifest references (config and layers), for sizes and garbage collection. */
  readonly blobs: ReadonlyArray<{ readonly digest: Digest; readonly size: number; readonly mediaType: string }>;
  /** Which of {@link blobs} is the configuration (image manifests). */
  readonly config?: Digest | undefined;
  /** Child manifests (of an index). */
  readonly manifests: readonly Digest[];
}

/** One page of a sorted listing; `more` tells whether entries follow the last one. */
export interface Page<T> {
  readonly items: T[];
  readonly more: boolean;
}

/** The metadata operations of the data plane. Every name passed in is already validated. */
export interface MetadataStore {
  /** The mode name, for logs and health (`legacy`, `database`). */
  readonly mode: string;

  /** Repository names in lexical order after `last`, at most `limit`. */
  listRepositories(limit: number, last?: string): Promise<Page<string>>;

  /** True when the blob is linked into the repository. */
  isBlobLinked(name: string, digest: Digest): Promise<boolean>;
  /**
   * Links a blob of `size` bytes into the repository. `ensureStored` makes
   * sure the bytes are in storage (moving an upload into place, or checking a
   * mount source); the database store runs it inside the same critical
   * section as garbage collection, so a blob under review is never deleted
   * after it was relinked.
   */
  linkBlob(name: string, digest: Digest, size: number, ensureStored: () => Promise<void>): Promise<void>;
  /** Removes the blob link; false when it was not linked. */
  unlinkBlob(name: string, digest: Digest): Promise<boolean>;

  /** True when the manifest is present in the repository. */
  isManifestLinked(name: string, digest: Digest): Promise<boolean>;
  /** True when this store keeps manifest payloads itself (database); false when they are blobs in storage (legacy). */
  readonly storesPayloads: boolean;
  /** The payload of a manifest in the repository, when {@link storesPayloads}. */
  manifestPayload(name: string, digest: Digest): Promise<Buffer | undefined>;
  /**
   * Records a manifest (idempotent) and, with `tag`, points the tag at it, as
   * one step. MANIFEST_BLOB_UNKNOWN when a referenced blob or child manifest
   * disappeared (garbage collection) after validation. True when an existing
   * tag now points at another manifest (caches must hear of it); false
   * otherwise, and always in legacy mode.
   */
  putManifest(name: string, record: ManifestRecord, tag?: string): Promise<boolean>;
  /** Removes the manifest, every tag pointing at it, and its referrer entry; false when absent. */
  deleteManifest(name: string, digest: Digest): Promise<boolean>;

  /** The digest a tag points at, or undefined. */
  resolveTag(name: string, tag: string): Promise<Digest | undefined>;
  /** Removes a tag; false when it did not exist. */
  untag(name: string, tag: string): Promise<boolean>;
  /** Tags in lexical order after `last`; undefined when the repository is unknown. */
  listTags(name: string, limit: number, last?: string): Promise<Page<string> | undefined>;

  /** Digests of manifests in the repository whose subject is `subject`. */
  listReferrers(name: string, subject: Digest): Promise<Digest[]>;
}
