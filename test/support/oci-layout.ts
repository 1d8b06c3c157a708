/**
 * Builds OCI image layouts on disk for real clients to copy from: images with
 * real gzipped tar layers, multi-arch indexes, and artifacts with a subject.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A descriptor as written into manifests. */
export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
  artifactType?: string;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A one-file ustar archive. */
export function tarOf(fileName: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => header.write(s.slice(0, len), off, 'ascii');
  put(fileName, 0, 100);
  put('0000644\0', 100, 8);
  put('0000000\0', 108, 8);
  put('0000000\0', 116, 8);
  put(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 12);
  put(
    `${Math.floor(Date.UTC(2024, 0, 1) / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
    12,
  );
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)]);
}

/** An OCI layout directory being built. */
export class OciLayout {
  private readonly index: { schemaVersion: 2; mediaType: string; manifests: Desc[] } = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };

  private constructor(readonly dir: string) {}

  /** Creates an empty layout at `dir`. */
  static async create(dir: string): Promise<OciLayout> {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const l = new OciLayout(dir);
    await l.flush();
    return l;
  }

  /** Writes a blob and returns its descriptor. */
  async blob(mediaType: string, data: Buffer): Promise<Desc> {
    const digest = sha(data);
    await writeFile(join(this.dir, 'blobs', 'sha256', digest.slice(7)), data);
    return { mediaType, digest, size: data.length };
  }

  /** Reads a blob back. */
  read(digest: string): Promise<Buffer> {
    return readFile(join(this.dir, 'blobs', 'sha256', digest.slice(7)));
  }

  /** Adds a single-platform image with `layers` random gzipped layers of `layerSize` bytes. */
  async image(opts: { layers?: number; layerSize?: number; arch?: string; tag?: string } = {}): Promise<Desc> {
    const layers: Desc[] = [];
    const diffIds: string[] = [];
    for (let i = 0; i < (opts.layers ?? 2); i++) {
      const tar = tarOf(`file-${i}.bin`, randomBytes(opts.layerSize ?? 2048));
      diffIds.push(sha(tar));
      layers.push(await this.blob('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(tar)));
    }
    const arch = opts.arch ?? 'amd64';
    const config = await this.blob(
      'application/vnd.oci.image.config.v1+json',
      Buffer.from(
        JSON.stringify({
          architecture: arch,
          os: 'linux',
          created: '2024-01-01T00:00:00Z',
          config: { Cmd: ['/bin/sh'] },
          rootfs: { type: 'layers', diff_ids: diffIds },
          history: diffIds.map(() => ({ created_by: 'wharf test' })),
        }),
      ),
    );
    const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers };
    const desc = await this.blob(manifest.mediaType, Buffer.from(JSON.stringify(manifest)));
    const withPlatform = { ...desc, platform: { architecture: arch, os: 'linux' } };
    if (opts.tag) this.addRef(opts.tag, desc);
    return withPlatform;
  }

  /** Adds a multi-arch index over new images for each architecture. */
  async multiArch(tag: string, arches: string[] = ['amd64', 'arm64']): Promise<Desc> {
    const manifests: Desc[] = [];
    for (const arch of arches) manifests.push(await this.image({ arch, layers: 1 }));
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests };
    const desc = await this.blob(index.mediaType, Buffer.from(JSON.stringify(index)));
    this.addRef(tag, desc);
    return desc;
  }

  /** Adds an artifact manifest whose subject is `subject`. */
  async artifact(tag: string, subject: Desc, artifactType = 'application/vnd.example.sbom.v1+json'): Promise<Desc> {
    const config = await this.blob('application/vnd.oci.empty.v1+json', Buffer.from('{}'));
    const layer = await this.blob('application/spdx+json', Buffer.from(JSON.stringify({ sbom: randomBytes(8).toString('hex') })));
    const { platform: _p, ...subjectDesc } = subject;
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType,
      config,
      layers: [layer],
      subject: subjectDesc,
      annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
    };
    const desc = await this.blob(manifest.mediaType, Buffer.from(JSON.stringify(manifest)));
    this.addRef(tag, desc);
    return desc;
  }

  private addRef(tag: string, desc: Desc): void {
    const { platform: _p, ...plain } = desc;
    this.index.manifests = this.index.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] !== tag);
    this.index.manifests.push({ ...plain, annotations: { 'org.opencontainers.image.ref.name': tag } });
  }

  /** Writes index.json. */
  async flush(): Promise<void> {
    await writeFile(join(this.dir, 'index.json'), JSON.stringify(this.index));
  }
}
