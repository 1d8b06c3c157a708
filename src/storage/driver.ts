/**
 * The storage-driver interface: a path-and-bytes store, modelled on
 * Distribution's StorageDriver. Paths are absolute, `/`-separated, and never
 * contain `.`/`..` segments (the {@link checkedDriver} wrapper enforces that).
 * Every driver passes the shared suite in test/storage.
 */
import type { Readable, Writable } from 'node:stream';

/** Metadata about one stored object or directory. */
export interface FileInfo {
  readonly path: string;
  readonly size: number;
  readonly modTime: Date;
  readonly isDir: boolean;
}

/**
 * Streaming writer returned by {@link StorageDriver.writer}. Nothing it
 * writes is final before commit. Calls are sequential: await each write
 * before the next.
 */
export interface FileWriter {
  /** Appends bytes; resolves once the driver no longer holds `chunk`, so the caller may reuse its memory. */
  write(chunk: Uint8Array): Promise<void>;
  /** Bytes in the object so far, including what existed before an append. */
  size(): number;
  /** Makes the written bytes durable at the path. */
  commit(): Promise<void>;
  /**
   * Optional: makes the written bytes durable for a later append without
   * finishing the object (the `s3` driver keeps its multipart upload open, so
   * the next append adds parts instead of copying what exists). `stat` reports
   * the size so far; {@link StorageDriver.finalize} finishes the object before
   * it is read or moved. Drivers without it: callers use `commit`.
   */
  close?(): Promise<void>;
  /** Abandons the write and removes what it wrote. */
  cancel(): Promise<void>;
}

/** Raised when a path does not exist. */
export class PathNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`path not found: ${path}`);
    this.name = 'PathNotFoundError';
  }
}

/** Raised when the backend cannot be reached or keeps failing (after the driver's own retries). */
export class StorageUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}

/** Raised when a read starts past the end of an object. */
export class InvalidOffsetError extends Error {
  constructor(
    readonly path: string,
    readonly offset: number,
  ) {
    super(`invalid offset ${offset} for ${path}`);
    this.name = 'InvalidOffsetError';
  }
}

/** The operations every storage backend provides. */
export interface StorageDriver {
  /** The driver's configured name (`filesystem`, `inmemory`, …). */
  readonly name: string;
  /**
   * True when bytes whose `FileWriter.write` has resolved can be read at the
   * path by {@link reader} before `commit` (filesystem: the writer writes
   * the file itself). Readers may then follow an object being written.
   */
  readonly readableWhileWriting?: boolean;
  /** Whole content of a small object. Throws PathNotFoundError. */
  getContent(path: string): Promise<Buffer>;
  /** Replaces an object atomically: readers see the old or the new bytes, never a mix. */
  putContent(path: string, content: Uint8Array): Promise<void>;
  /** Streams an object from `offset` up to `end` (exclusive, default: to the end). */
  reader(path: string, offset?: number, end?: number): Promise<Readable>;
  /** Opens a writer; `append` continues an existing object. */
  writer(path: string, append: boolean): Promise<FileWriter>;
  /** Size, mtime and kind of a path. Throws PathNotFoundError. */
  stat(path: string): Promise<FileInfo>;
  /** Full paths of the direct children of a directory. Throws PathNotFoundError. */
  list(path: string): Promise<string[]>;
  /** Moves an object, replacing the destination atomically. */
  move(source: string, dest: string): Promise<void>;
  /** Removes an object or a whole directory tree. Throws PathNotFoundError. */
  delete(path: string): Promise<void>;
  /** A URL the client may fetch the object from directly, or undefined when the driver cannot redirect. */
  redirectURL(path: string, method: 'GET' | 'HEAD'): Promise<string | undefined>;
  /** Checks the backend is reachable (used by /debug/health). */
  health(): Promise<void>;
  /**
   * Optional fast path: writes `[start, end)` of an object into `dest`
   * (without ending it), faster than piping {@link reader}. Drivers that can
   * recycle buffers (filesystem) provide it; callers fall back to `reader`.
   */
  copyRange?(path: string, start: number, end: number, dest: Writable): Promise<void>;
  /** Finishes an object a writer left open with {@link FileWriter.close} (a no-op when it is not open). Drivers with `close` provide it. */
  finalize?(path: string): Promise<void>;
}

/** Lists a directory, returning [] when it does not exist. */
export async function listOrEmpty(driver: StorageDriver, path: string): Promise<string[]> {
  try {
    return await driver.list(path);
  } catch (err) {
    if (err instanceof PathNotFoundError) return [];
    throw err;
  }
}

/** Deletes a path, ignoring a missing one. */
export async function deleteIfExists(driver: StorageDriver, path: string): Promise<void> {
  try {
    await driver.delete(path);
  } catch (err) {
    if (!(err instanceof PathNotFoundError)) throw err;
  }
}

/** Stats a path, returning undefined when it does not exist. */
export async function statOrUndefined(driver: StorageDriver, path: string): Promise<FileInfo | undefined> {
  try {
    return await driver.stat(path);
  } catch (err) {
    if (err instanceof PathNotFoundError) return undefined;
    throw err;
  }
}

/** Reads a small object, returning undefined when it does not exist. */
export async function getContentOrUndefined(driver: StorageDriver, path: string): Promise<Buffer | undefined> {
  try {
    return await driver.getContent(path);
  } catch (err) {
    if (err instanceof PathNotFoundError) return undefined;
    throw err;
  }
}
