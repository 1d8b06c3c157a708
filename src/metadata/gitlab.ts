/**
 * What the `/gitlab/v1` API reads and changes (SPEC 1.11), database mode
 * only: repository details and deduplicated sizes, tag pages with details,
 * repositories under a path, and rename. The registry's handlers see only
 * this interface; the SQL lives in `database/gitlab-queries.ts` and
 * `database/rename.ts`.
 */

/** Details of one repository. */
export interface RepositoryDetails {
  id: number;
  name: string;
  path: string;
  createdAt: Date;
  updatedAt: Date | null;
}

/** One tag as the tags list returns it. */
export interface TagRow {
  name: string;
  digest: string;
  configDigest: string | null;
  mediaType: string;
  sizeBytes: number;
  createdAt: Date;
  updatedAt: Date | null;
  publishedAt: Date;
}

/** Options of a tags page. */
export interface TagPageOptions {
  readonly n: number;
  readonly last?: string | undefined;
  readonly before?: string | undefined;
  readonly name?: string | undefined;
  readonly sort: 'name' | '-name' | 'published_at' | '-published_at';
}

/** The outcome of a rename request. */
export interface RenameResult {
  readonly dryRun: boolean;
  /** How long the lease on the new path lasts (dry run with Redis), in ms. */
  readonly leaseMs?: number;
  /** The new path (after a real rename). */
  readonly to?: string;
}

/** The `/gitlab/v1` reads and the rename, over one metadata database. */
export interface GitlabMetadata {
  repositoryByPath(path: string): Promise<RepositoryDetails | undefined>;
  /** Deduplicated size of the repository (and, with `withDescendants`, of every repository under it). */
  repositorySize(path: string, withDescendants: boolean): Promise<number>;
  tagPage(repositoryId: number, options: TagPageOptions): Promise<{ tags: TagRow[]; more: boolean }>;
  referrersOf(repositoryId: number, digests: string[]): Promise<Map<string, Array<{ artifactType: string | null; digest: string }>>>;
  tagByName(repositoryId: number, name: string): Promise<TagRow | undefined>;
  repositoriesUnder(path: string, n: number, last?: string): Promise<{ repos: RepositoryDetails[]; more: boolean }>;
  /** Validates and performs (or, dry, checks and reserves) a rename of `path` to its sibling `newName`. */
  rename(path: string, newName: unknown, dryRun: boolean): Promise<RenameResult>;
}
