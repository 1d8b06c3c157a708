/**
 * A raw HTTP client for tests: sends the path exactly as given (no `..`
 * normalisation, unlike fetch) and returns status, headers and body.
 */
import { request } from 'node:http';
import { createHash } from 'node:crypto';

/** A received response. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  header(name: string): string | undefined;
  json<T = unknown>(): T;
  /** The first OCI error code of the body, if any. */
  errorCode(): string | undefined;
}

/** Options of one request. */
export interface RawOptions {
  readonly headers?: Record<string, string | number>;
  readonly body?: Buffer | string;
}

/** Sends one request to `base` + `path`. */
export function raw(base: string, method: string, path: string, opts: RawOptions = {}): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding')) {
      headers['Content-Length'] = Buffer.byteLength(opts.body);
    }
    const req = request({ host: u.hostname, port: u.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          header: (n) => {
            const v = res.headers[n.toLowerCase()];
            return Array.isArray(v) ? v.join(', ') : v;
          },
          json: <T>() => JSON.parse(body.toString('utf8')) as T,
          errorCode: () => {
            try {
              return (JSON.parse(body.toString('utf8')) as { errors?: Array<{ code: string }> }).errors?.[0]?.code;
            } catch {
              return undefined;
            }
          },
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** `sha256:<hex>` of bytes. */
export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A small registry client over {@link raw} for building fixtures in tests. */
export class TestClient {
  /** `headers` go with every request (e.g. a bearer token). */
  constructor(
    readonly base: string,
    readonly headers: Record<string, string> = {},
  ) {}

  req(method: string, path: string, opts: RawOptions = {}): Promise<RawResponse> {
    return raw(this.base, method, path, { ...opts, headers: { ...this.headers, ...opts.headers } });
  }

  /** Pushes a blob monolithically and returns its digest. */
  async pushBlob(name: string, data: Buffer | string): Promise<string> {
    const digest = sha256(data);
    const r = await this.req('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, { body: data, headers: { 'Content-Type': 'application/octet-stream' } });
    if (r.status !== 201) throw new Error(`blob push failed: ${r.status} ${r.body.toString()}`);
    return digest;
  }

  /** Pushes an OCI image (config + one layer) and tags it; returns the manifest bytes and digest. */
  async pushImage(name: string, tag: string, extra: Record<string, unknown> = {}): Promise<{ digest: string; body: Buffer; layer: string; config: string }> {
    const layerData = `layer-${name}-${tag}-${Math.random()}`;
    const configData = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: Math.random() });
    const layer = await this.pushBlob(name, layerData);
    const config = await this.pushBlob(name, configData);
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: Buffer.byteLength(configData) },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: Buffer.byteLength(layerData) }],
      ...extra,
    };
    const body = Buffer.from(JSON.stringify(manifest));
    const r = await this.req('PUT', `/v2/${name}/manifests/${tag}`, { body, headers: { 'Content-Type': manifest.mediaType } });
    if (r.status !== 201) throw new Error(`manifest push failed: ${r.status} ${r.body.toString()}`);
    return { digest: sha256(body), body, layer, config };
  }
}
