/**
 * Blob upload sessions: start, append (chunked or streamed), status, complete,
 * cancel. Bytes go to `_uploads/<id>/data`; the running sha256 is kept (on the
 * hasher's worker thread) beside the offset it covers, so a chunked push is
 * hashed once while streaming. If the state is lost (restart, another node or
 * process, a failed chunk, or evicted as one of too many open uploads) the
 * file is re-hashed at completion. Nothing becomes a visible blob until its
 * digest has been verified; the final step is an atomic move.
 */
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Readable } from 'node:stream';
import { deleteIfExists, getContentOrUndefined, statOrUndefined, type FileWriter, type StorageDriver } from '../storage/driver.js';
import { uploadDataPath, uploadDir, uploadMonolithicPath, uploadStartedAtPath } from '../storage/layout.js';
import { newHash, type Digest } from '../oci/digest.js';
import { regErr } from '../oci/errors.js';
import type { MetadataStore } from '../metadata/store.js';
import type { BlobContent } from './blob-content.js';
import { Hasher } from './hasher.js';
import { KeyLock } from './key-lock.js';
import { sinkBody } from './upload-sink.js';

/** The state of one upload session. */
export interface UploadSession {
  readonly name: string;
  readonly id: string;
  readonly startedAt: Date;
  /** Bytes received so far. */
  readonly offset: number;
}

/** Options of one append. */
export interface AppendOptions {
  /** First byte position the client says this chunk starts at (Content-Range). */
  readonly start?: number | undefined;
  /** Exact number of bytes the body must have (Content-Length / Content-Range). */
  readonly length?: number | undefined;
}

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A running hash on the worker (`key`) and the number of bytes it covers. */
interface HashState {
  offset: number;
  key: string;
}

/** Running hashes kept at most; abandoned uploads must not grow memory without bound. */
const MAX_HASH_STATES = 10_000;

/** The storage backend has no room left (a full disk, a quota). */
const outOfSpace = (err: unknown): boolean => ['ENOSPC', 'EDQUOT'].includes((err as { code?: string } | null)?.code ?? '');

/** Ends a PATCH's writer: left open for the next append where the driver can (S3 multipart uploads), committed otherwise. */
const keepForAppend = (writer: FileWriter): Promise<void> => (writer.close ? writer.close() : writer.commit());

/** Manages upload sessions of all repositories. */
export class UploadService {
  private readonly hasher = new Hasher();
  private readonly hashes = new LRUCache<string, HashState>({ max: MAX_HASH_STATES, dispose: (s, _k, reason) => reason === 'evict' && this.hasher.drop(s.key) });
  private readonly lock = new KeyLock();

  constructor(
    private readonly driver: StorageDriver,
    private readonly content: BlobContent,
    private readonly metadata: MetadataStore,
  ) {}

  /**
   * Opens a new session in `name`. A `monolithic` one (the whole blob in
   * this one request: `POST ?digest=`) is marked: its client never learns
   * its URL, so if the process dies mid-body nobody can resume it, and
   * upload purging reclaims it after `abandonedage` instead of `age`.
   */
  async start(name: string, opts: { monolithic?: boolean } = {}): Promise<UploadSession> {
    const id = randomUUID();
    const startedAt = new Date();
    await this.driver.putContent(uploadDataPath(name, id), Buffer.alloc(0));
    await this.driver.putContent(uploadStartedAtPath(name, id), Buffer.from(startedAt.toISOString()));
    if (opts.monolithic) await this.driver.putContent(uploadMonolithicPath(name, id), Buffer.alloc(0));
    this.hashes.set(`${name}\0${id}`, { offset: 0, key: id });
    return { name, id, startedAt, offset: 0 };
  }

  /** The session's state; BLOB_UPLOAD_UNKNOWN when it does not exist in `name`. */
  async get(name: string, id: string): Promise<UploadSession> {
    if (!UPLOAD_ID.test(id)) throw regErr('BLOB_UPLOAD_UNKNOWN', undefined, { id: id.slice(0, 100) });
    const [started, data] = await Promise.all([getContentOrUndefined(this.driver, uploadStartedAtPath(name, id)), statOrUndefined(this.driver, uploadDataPath(name, id))]);
    if (!started || !data) throw regErr('BLOB_UPLOAD_UNKNOWN', undefined, { id });
    const t = new Date(started.toString('utf8').trim());
    return { name, id, startedAt: Number.isNaN(t.getTime()) ? data.modTime : t, offset: data.size };
  }

  /** Appends a chunk; RANGE_INVALID (416) when it does not start at the current offset. */
  append(name: string, id: string, body: Readable, opts: AppendOptions = {}): Promise<UploadSession> {
    return this.lock.run(`${name}\0${id}`, () => this.appendLocked(name, id, body, opts, false));
  }

  /** With `last` (the PUT that completes the upload), the writer is committed rather than kept open for another append. */
  private async appendLocked(name: string, id: string, body: Readable, opts: AppendOptions, last: boolean): Promise<UploadSession> {
    const session = await this.get(name, id);
    if (opts.start !== undefined && opts.start !== session.offset) {
      body.resume();
      throw regErr('RANGE_INVALID', 'chunk does not start at the end of the uploaded data', { expected: session.offset, got: opts.start }, 416);
    }
    const key = `${name}\0${id}`;
    const state = this.hashes.get(key);
    this.hashes.delete(key);
    const valid = state !== undefined && state.offset === session.offset;
    if (state && !valid) this.hasher.drop(state.key);
    const writer = await this.driver.writer(uploadDataPath(name, id), true);
    let count: number;
    try {
      count = await sinkBody(body, writer, this.hasher, valid ? state.key : undefined, opts.length);
      await (last ? writer.commit() : keepForAppend(writer));
    } catch (err) {
      // Bytes may have reached the file but not the hash (or the reverse): re-hash at completion.
      if (state) this.hasher.drop(state.key);
      await keepForAppend(writer).catch(() => undefined);
      // Out of space: what this upload wrote is released at once (the client restarts it), not left
      // filling the disk until the upload purger's age.
      if (outOfSpace(err)) await this.discard(name, id).catch(() => undefined);
      throw err;
    }
    const offset = session.offset + count;
    if (valid) this.hashes.set(key, { offset, key: state.key });
    if (opts.length !== undefined && count !== opts.length) {
      throw regErr('SIZE_INVALID', 'body is shorter than declared', { declared: opts.length, received: count });
    }
    return { ...session, offset };
  }

  /**
   * Appends the final chunk (if any), verifies `digest` against every byte
   * received, then makes the blob visible in `name`. On mismatch the session
   * is discarded, as Distribution does, and nothing becomes visible.
   * An identical blob already stored is kept (dedup) unless `replace`.
   */
  complete(name: string, id: string, digest: Digest, body?: Readable, opts: AppendOptions & { readonly replace?: boolean } = {}): Promise<{ size: number }> {
    const key = `${name}\0${id}`;
    return this.lock.run(key, async () => {
      let session = await this.get(name, id);
      // The last chunk commits the data itself; without one, what earlier PATCHes left open is finished here.
      if (body) session = await this.appendLocked(name, id, body, opts, true);
      else await this.driver.finalize?.(uploadDataPath(name, id));
      const state = this.hashes.get(key);
      const actual = digest.algorithm === 'sha256' && state && state.offset === session.offset ? await this.hasher.digest(state.key) : await this.rehash(uploadDataPath(name, id), digest.algorithm);
      if (actual !== digest.hex) {
        await this.discard(name, id);
        throw regErr('DIGEST_INVALID', 'provided digest did not match uploaded content', { expected: digest.value, actual: `${digest.algorithm}:${actual}` });
      }
      await this.metadata.linkBlob(name, digest, session.offset, async () => {
        // `replace`: the stored bytes are suspect (a repair); the verified upload takes their place atomically.
        if (opts.replace || (await this.content.size(digest)) === undefined) await this.content.adopt(uploadDataPath(name, id), digest);
      });
      await this.discard(name, id);
      return { size: session.offset };
    });
  }

  /** Cancels a session and removes its data; BLOB_UPLOAD_UNKNOWN when absent. */
  async cancel(name: string, id: string): Promise<void> {
    await this.get(name, id);
    await this.lock.run(`${name}\0${id}`, () => this.discard(name, id));
  }

  /** Stops the hashing worker. */
  close(): Promise<void> {
    return this.hasher.close();
  }

  private async discard(name: string, id: string): Promise<void> {
    const key = `${name}\0${id}`;
    const state = this.hashes.get(key);
    if (state) this.hasher.drop(state.key);
    this.hashes.delete(key);
    await deleteIfExists(this.driver, uploadDir(name, id));
  }

  private async rehash(path: string, algorithm: Digest['algorithm']): Promise<string> {
    const hash = newHash(algorithm);
    for await (const chunk of await this.driver.reader(path)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }
}
