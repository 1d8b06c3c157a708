/**
 * The redirect check every object-storage end-to-end test makes: skopeo pushes
 * an image and pulls it back, then a layer GET answers 307 to the store, the
 * store serves the layer's exact bytes, and HEAD never redirects.
 */
import assert from 'node:assert/strict';
import { sha256, TestClient } from './http.js';
import { skopeoCopy } from './tools.js';
import type { TestRegistry } from './wharf.js';

/** Pushes `oci:<layoutDir>:v1` to `<repo>:v1`, pulls it into `outDir`, follows a layer's redirect; returns the layer and the URL it redirected to. */
export async function pushPullFollowRedirect(reg: TestRegistry, layoutDir: string, repo: string, outDir: string): Promise<{ layer: string; location: URL }> {
  const pushed = await skopeoCopy(`oci:${layoutDir}:v1`, `docker://${reg.host}/${repo}:v1`);
  assert.equal(await skopeoCopy(`docker://${reg.host}/${repo}:v1`, `oci:${outDir}:v1`), pushed);
  const manifest = JSON.parse((await new TestClient(reg.url).req('GET', `/v2/${repo}/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } })).body.toString());
  const layer = manifest.layers[0].digest as string;
  const get = await fetch(`${reg.url}/v2/${repo}/blobs/${layer}`, { redirect: 'manual' });
  assert.equal(get.status, 307);
  const location = new URL(get.headers.get('location')!);
  assert.equal(sha256(Buffer.from(await (await fetch(location)).arrayBuffer())), layer, 'the store serves the layer');
  assert.equal((await fetch(`${reg.url}/v2/${repo}/blobs/${layer}`, { method: 'HEAD', redirect: 'manual' })).status, 200, 'HEAD never redirects');
  return { layer, location };
}
