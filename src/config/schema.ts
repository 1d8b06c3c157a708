/**
 * The configuration schema: Distribution's `config.yml` format (the sections
 * Wharf implements) with defaults. Unknown keys are rejected everywhere so a
 * typo never silently changes behaviour.
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';

const toMs = (v: string | number, ctx: z.RefinementCtx): number => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(v)} (use e.g. 30s, 10m, 24h)` });
    return z.NEVER;
  }
  return ms;
};
const duration = (def: string) => z.union([z.string(), z.number()]).default(def).transform(toMs);
/** A duration whose default depends on something else (resolved where it is used). */
const optionalDuration = () =>
  z
    .union([z.string(), z.number()])
    .optional()
    .transform((v, ctx) => (v === undefined ? undefined : toMs(v, ctx)));

const bool = (def: boolean) => z.boolean().default(def);
const regex = z.string().refine((p) => {
  try {
    new RegExp(p);
    return true;
  } catch {
    return false;
  }
}, 'not a valid regular expression');
const strict = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape);
/** A section that may be absent or empty (`key:` with no value); it then takes its defaults. */
const section = <T extends z.ZodRawShape>(shape: T) => z.preprocess((v) => v ?? {}, strict(shape));

const filesystem = section({ rootdirectory: z.string().min(1).default('./data'), maxthreads: z.number().int().min(25).optional() });

/** Distribution's and GitLab's `s3` (and `s3_v2`) parameters. */
const s3 = strict({
  /** Static credentials; absent, the AWS SDK's default chain (environment, profile, instance role). */
  accesskey: z.string().optional(),
  secretkey: z.string().optional(),
  sessiontoken: z.string().optional(),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a bucket name (3–63 lower-case letters, digits, dots, hyphens; no sub-directories)'),
  region: z.string().min(1).default('us-east-1'),
  /** Endpoint of an S3-compatible service (MinIO, a VPC endpoint, an emulator). */
  regionendpoint: z.url().optional(),
  /** `host/bucket/key` URLs (most S3-compatible services) instead of `bucket.host/key`. Default: true with `regionendpoint`. */
  pathstyle: z.boolean().optional(),
  /** Server-side encryption: AES256, or aws:kms with `keyid`. */
  encrypt: bool(false),
  keyid: z.string().optional(),
  secure: bool(true),
  skipverify: bool(false),
  v4auth: bool(true),
  rootdirectory: z.string().default(''),
  storageclass: z.enum(['STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'NONE']).default('STANDARD'),
  /** Multipart part size for uploads (at least 5 MiB). */
  chunksize: z
    .number()
    .int()
    .min(5 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  /** Objects larger than this are copied part by part (server-side). */
  multipartcopythresholdsize: z
    .number()
    .int()
    .min(5 * 1024 * 1024)
    .max(5 * 1024 * 1024 * 1024)
    .default(32 * 1024 * 1024),
  multipartcopychunksize: z
    .number()
    .int()
    .min(5 * 1024 * 1024)
    .max(5 * 1024 * 1024 * 1024)
    .default(32 * 1024 * 1024),
  multipartcopymaxconcurrency: z.number().int().min(1).default(100),
  /** Rate limit of requests to S3 (0: none). */
  maxrequestspersecond: z.number().int().min(0).default(350),
  /** Attempts per request on throttling (503 SlowDown) and transient errors. */
  maxretries: z.number().int().min(0).default(5),
  /** Do not send or check the SDK's additional checksums (MinIO and older S3-compatible services). */
  checksum_disabled: bool(false),
  loglevel: z.string().optional(),
});

/** The `azure` driver's parameters (Distribution's), and `azure_v2`'s (GitLab's, with its credential types). */
const azureCommon = {
  accountname: z.string().min(1),
  container: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'a container name (3–63 lower-case letters, digits and single hyphens)'),
  realm: z.string().default('core.windows.net'),
  /** The Blob service URL (Azurite, sovereign clouds); default `https://<accountname>.blob.<realm>`. */
  serviceurl: z.url().optional(),
  rootdirectory: z.string().default(''),
  /** Block size of uploads. */
  chunksize: z
    .number()
    .int()
    .min(1024 * 1024)
    .max(4000 * 1024 * 1024)
    .default(8 * 1024 * 1024),
  maxretries: z.number().int().min(0).default(5),
};
const azure = strict({
  ...azureCommon,
  accountkey: z.string().min(1),
  /** Paths as the old driver stored them start with `/`; true drops that prefix. */
  trimlegacyrootprefix: bool(false),
});
const azureV2 = strict({
  ...azureCommon,
  credentials_type: z.enum(['shared_key', 'client_secret', 'default_credentials']).default('client_secret'),
  accountkey: z.string().optional(),
  tenant_id: z.string().optional(),
  client_id: z.string().optional(),
  secret: z.string().optional(),
  trimlegacyrootprefix: bool(true),
}).superRefine((a, ctx) => {
  if (a.credentials_type === 'shared_key' && !a.accountkey) ctx.addIssue({ code: 'custom', path: ['accountkey'], message: 'required with credentials_type shared_key' });
  if (a.credentials_type === 'client_secret') {
    for (const k of ['tenant_id', 'client_id', 'secret'] as const) if (!a[k]) ctx.addIssue({ code: 'custom', path: [k], message: 'required with credentials_type client_secret' });
  }
});

/** Distribution's `gcs` parameters, plus `endpoint` for emulators and private endpoints. */
const gcs = strict({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'a bucket name (lower-case letters, digits, dots, hyphens, underscores; no sub-directories)'),
  /** A service-account key file (JSON); absent, Application Default Credentials. */
  keyfile: z.string().min(1).optional(),
  /** The key file's content inline (Distribution's `credentials` map). */
  credentials: z.record(z.string(), z.unknown()).optional(),
  rootdirectory: z.string().default(''),
  /** Upload part size; a multiple of 256 KiB. Each writer holds one part in memory. */
  chunksize: z
    .number()
    .int()
    .min(256 * 1024)
    .multipleOf(256 * 1024)
    .default(5 * 1024 * 1024),
  /** Concurrent requests of one operation (deleting a tree, composing parts). */
  maxconcurrency: z.number().int().min(1).default(50),
  /** Attempts per request on transient errors (429, 5xx, resets). */
  maxretries: z.number().int().min(0).default(5),
  /** The JSON API's base URL (an emulator, a Private Service Connect endpoint); default Google's. */
  endpoint: z.url().optional(),
  /** With `endpoint`: send no credentials (emulators take none); keys are still used to sign redirect URLs. */
  noauth: bool(false),
}).superRefine((g, ctx) => {
  if (g.keyfile && g.credentials) ctx.addIssue({ code: 'custom', path: ['credentials'], message: 'set keyfile or credentials, not both' });
});

const storage = z.preprocess(
  (v) => v ?? {},
  strict({
    filesystem: filesystem.optional(),
    s3: s3.optional(),
    /** GitLab's name for the AWS SDK v2 driver: the same driver here. */
    s3_v2: s3.optional(),
    azure: azure.optional(),
    azure_v2: azureV2.optional(),
    gcs: gcs.optional(),
    inmemory: z.preprocess((v) => v ?? {}, strict({})).optional(),
    delete: section({ enabled: bool(false) }),
    redirect: section({ disable: bool(false), expirydelay: duration('20m') }),
    cache: section({ blobdescriptor: z.enum(['inmemory', 'redis']).optional(), blobdescriptorsize: z.number().int().positive().optional() }),
    maintenance: section({
      /** `abandonedage`: Wharf's; monolithic sessions (never resumable) idle this long are purged too. */
      uploadpurging: section({ enabled: bool(true), age: duration('168h'), interval: duration('24h'), dryrun: bool(false), abandonedage: duration('1h') }),
      readonly: section({ enabled: bool(false) }),
    }),
  }).superRefine((s, ctx) => {
    const drivers = (['filesystem', 'inmemory', 's3', 's3_v2', 'azure', 'azure_v2', 'gcs'] as const).filter((k) => s[k] !== undefined);
    if (drivers.length > 1) ctx.addIssue({ code: 'custom', message: `exactly one storage driver may be configured, found ${drivers.join(', ')}` });
  }),
);

const http = section({
  addr: z.string().default('127.0.0.1:5000'),
  net: z.enum(['tcp', 'unix']).default('tcp'),
  prefix: z.string().default('/'),
  host: z.url().optional(),
  secret: z.string().optional(),
  relativeurls: bool(false),
  draintimeout: duration('0s'),
  headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
  tls: strict({
    certificate: z.string(),
    key: z.string(),
    clientcas: z.array(z.string()).optional(),
    minimumtls: z.enum(['tls1.2', 'tls1.3']).optional(),
  }).optional(),
  debug: strict({ addr: z.string().optional(), prometheus: section({ enabled: bool(false), path: z.string().default('/metrics') }) }).optional(),
  http2: section({ disabled: bool(false) }),
  /** Wharf: processes serving the port (`auto` = one per core). Not a Distribution key. */
  workers: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto'),
});

const log = section({
  level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  formatter: z.enum(['json', 'text', 'logstash']).default('json'),
  fields: z.record(z.string(), z.unknown()).default({}),
  accesslog: section({ disabled: bool(false) }),
});

const validation = section({
  disabled: bool(false),
  enabled: z.boolean().optional(),
  manifests: section({
    urls: section({ allow: z.array(regex).default([]), deny: z.array(regex).default([]) }),
    payloadsizelimit: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
    referencelimit: z.number().int().nonnegative().default(0),
    indexes: section({ platforms: z.enum(['all', 'none', 'list']).default('none') }).optional(),
  }),
});

const compatibility = section({
  schema1: section({ enabled: bool(false), signingkeyfile: z.string().optional() }),
});

const health = section({
  storagedriver: section({ enabled: bool(true), interval: duration('10s'), threshold: z.number().int().positive().default(3) }),
  /** Wharf: a `SELECT 1` every interval (database mode); any query's connection failure also counts at once. */
  database: section({ enabled: bool(true), interval: duration('5s'), threshold: z.number().int().positive().default(1) }),
});

const database = section({
  /**
   * Metadata in PostgreSQL (true, the default: an external server with `host`,
   * otherwise the embedded database) or in Distribution's link files (false).
   */
  enabled: bool(true),
  host: z.string().optional(),
  port: z.number().int().min(1).max(65535).default(5432),
  user: z.string().default('postgres'),
  password: z.string().optional(),
  dbname: z.string().default('registry'),
  sslmode: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).default('prefer'),
  sslcert: z.string().optional(),
  sslkey: z.string().optional(),
  sslrootcert: z.string().optional(),
  connecttimeout: duration('0s'),
  /**
   * Wharf: the longest a statement may run (server-side `statement_timeout`,
   * and client-side one second later, for a server that hangs); past it the
   * request answers 503. 0 disables. Migrations and imports are exempt.
   */
  statementtimeout: duration('15s'),
  /**
   * Pool per process. Unset `maxopen`/`maxidletime` take the mode's defaults
   * (`db/open.ts`): 20 and 10m on an external server; 4 and 30s on the embedded
   * one, where every backend is memory on the same machine and the in-process
   * cache answers most reads without a query.
   */
  pool: section({
    maxidle: z.number().int().min(0).default(10),
    maxopen: z.number().int().min(1).optional(),
    maxlifetime: duration('0s'),
    maxidletime: optionalDuration(),
    /** Wharf: the longest a request waits for a connection (a free one in the pool, or a new one); then 503. 0 disables. */
    acquiretimeout: duration('5s'),
  }),
  /**
   * Wharf's in-process cache of tag lookups and links, kept correct across
   * nodes by LISTEN/NOTIFY. LISTEN needs a session: turn it off behind a
   * pooler in transaction mode (PgBouncer's `pool_mode = transaction`).
   */
  localcache: section({ enabled: bool(true) }),
});

const gc = section({
  /** Online GC (database mode only), as GitLab's registry configures it. */
  disabled: bool(false),
  maxbackoff: duration('24h'),
  noidlebackoff: bool(false),
  transactiontimeout: duration('10s'),
  reviewafter: duration('24h'),
  blobs: section({ disabled: bool(false), interval: duration('5s'), storagetimeout: duration('5s') }),
  manifests: section({ disabled: bool(false), interval: duration('5s') }),
});

const redisCache = section({
  /** Redis cache of tag lookups (database mode), as GitLab's `redis.cache`. */
  enabled: bool(false),
  /** host:port; several, comma-separated, for Sentinel (with `mainname`) or Cluster (without). */
  addr: z.string().default('127.0.0.1:6379'),
  mainname: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  sentinelusername: z.string().optional(),
  sentinelpassword: z.string().optional(),
  db: z.number().int().min(0).default(0),
  dialtimeout: duration('2s'),
  readtimeout: duration('2s'),
  writetimeout: duration('2s'),
  tls: section({ enabled: bool(false), insecure: bool(false) }),
  /** How long a cached tag lookup lives (Wharf). */
  ttl: duration('10m'),
});

/** A notification duration: a Go duration string, or a bare number of milliseconds (as seed 002's example `timeout: 500` means). */
const msDuration = (def: string) =>
  z
    .union([z.string(), z.number()])
    .default(def)
    .transform((v, ctx) => {
      const ms = typeof v === 'number' ? (Number.isFinite(v) && v >= 0 ? v : undefined) : parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(v)} (use e.g. 500ms, 1s, or a number of milliseconds)` });
        return z.NEVER;
      }
      return ms;
    });

const endpoint = strict({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, ".", "_" or "-", at most 100'),
  url: z.url(),
  disabled: bool(false),
  headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
  timeout: msDuration('1s'),
  /** Deprecated by GitLab in favour of `maxretries`; accepted with a warning. */
  threshold: z.number().int().min(0).optional(),
  maxretries: z.number().int().min(0).default(5),
  backoff: msDuration('1s'),
  ignoredmediatypes: z.array(z.string()).default([]),
  ignore: section({ mediatypes: z.array(z.string()).default([]), actions: z.array(z.enum(['push', 'pull', 'delete', 'mount', 'rename'])).default([]) }),
});

const notifications = section({
  endpoints: z
    .array(endpoint)
    .default([])
    .superRefine((list, ctx) => {
      const names = list.map((e) => e.name);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup) ctx.addIssue({ code: 'custom', message: `endpoint name ${JSON.stringify(dup)} is used twice` });
    }),
});

const auth = strict({
  /**
   * Docker token auth as Distribution configures it. With the control plane in
   * the same process, every key may be left out: they default to its realm,
   * service, issuer and certificate.
   */
  token: section({
    realm: z.url().optional(),
    service: z.string().min(1).optional(),
    issuer: z.string().min(1).optional(),
    rootcertbundle: z.string().min(1).optional(),
  }),
});

const controlplane = section({
  /** Run the control plane (users, projects, /jwt/auth, /api/v4) in this process. Default: with the metadata database. */
  enabled: z.boolean().optional(),
  /** A control-plane node only: no registry API in this process (the registry runs at `registryurl`). */
  standalone: bool(false),
  /** Own listener for the control plane; by default it shares `http.addr`. */
  addr: z.string().optional(),
  /** The registry's internal URL for control-plane calls (GitLab's `registry_api_url`); default this node. */
  registryurl: z.url().optional(),
  /** The control plane's public URL (the token realm is `<externalurl>/jwt/auth`); default from `http.host` or the listener. */
  externalurl: z.url().optional(),
  /** PEM private key signing the tokens (GitLab's `registry_key_path`); generated under the data directory when absent. */
  key: z.string().optional(),
  /** PEM certificate of `key` (the registry's `rootcertbundle`); generated with the key. */
  certificate: z.string().optional(),
  issuer: z.string().min(1).default('wharf-issuer'),
  service: z.string().min(1).default('container_registry'),
  /** The `Authorization` value the registry's notifications must carry to `/api/v4/container_registry_event/events`. */
  notificationsecret: z.string().optional(),
  /** Background job polling interval. */
  jobinterval: duration('1s'),
  /** Retry delay base of background jobs: attempt n waits base × 2^(n-1) (GitLab: 2^n minutes for repository deletes). */
  jobbackoff: duration('1m'),
});

/**
 * Geo (SPEC 7): this site's role among sites that each run a whole Wharf
 * (registry, control plane, own metadata database) and share the token
 * signing key pair, issuer and service. `role` is where a site starts; a
 * promotion (`wharf geo promote`) is kept in the database and wins over it.
 */
const geo = section({
  role: z.enum(['none', 'primary', 'secondary']).default('none'),
  /** This site's name (unique among the sites). */
  name: z.string().min(1).max(255).optional(),
  /** On a secondary: where the primary's control plane (`/api/v4`) and registry (`/v2`) answer. */
  primary: section({ api_url: z.url().optional(), registry_url: z.url().optional() }),
  sync: section({
    /** Repositories synced at once by this site. */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** How often the whole primary catalog is compared with this site's (backfill and missed events). */
    backfillinterval: duration('10m'),
    /** Longest wait between two attempts on a failed repository (capped exponential backoff with jitter). */
    maxbackoff: duration('1h'),
    /** Hash every blob of a repository again at most this often (0s: every sync). */
    verifyinterval: duration('24h'),
    /** Replication paused (GitLab's `geo-replication-pause`): events are still read, nothing is copied, pulls go to the primary. */
    paused: bool(false),
  }),
  /** On a secondary: what a pull of content this site has not synced yet gets (SPEC 7.5). */
  secondary: section({ unsynced: z.enum(['proxy', 'redirect']).default('proxy') }),
});

/** Container virtual registries (SPEC 8). */
const virtualRegistries = section({
  /** Let upstream URLs point at loopback, link-local or private addresses (tests, internal mirrors); refused otherwise (SSRF). */
  allow_private_upstreams: bool(false),
});

/** The whole configuration file. */
export const configSchema = strict({
  version: z
    .union([z.literal('0.1'), z.literal(0.1)])
    .default('0.1')
    .transform(() => '0.1' as const),
  log,
  storage,
  http,
  validation,
  compatibility,
  health,
  database,
  gc,
  redis: section({ cache: redisCache }),
  auth: auth.optional(),
  notifications,
  controlplane,
  geo,
  virtual_registries: virtualRegistries,
});

/** A validated configuration, after defaults. */
export type Config = z.output<typeof configSchema>;
