/**
 * REST API calls as `root` with Basic credentials, for tests that start
 * Wharf with WHARF_ROOT_PASSWORD: the first admin appears as the server
 * starts, so a 401 is retried for a few seconds before it counts.
 */
import type { WharfProcess } from './process.js';

/** An API answer: status, parsed JSON and the raw text. */
export interface ApiAnswer {
  readonly status: number;
  readonly body: any;
  readonly text: string;
}

/** A caller of `w`'s API as root with `password`. */
export function rootApi(password: string): (w: WharfProcess, method: string, path: string, body?: unknown) => Promise<ApiAnswer> {
  const authorization = `Basic ${Buffer.from(`root:${password}`).toString('base64')}`;
  return async (w, method, path, body) => {
    for (let i = 0; ; i++) {
      const res = await fetch(`${w.url}/api/v4${path}`, { method, headers: { Authorization: authorization, ...(body ? { 'Content-Type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      if (res.status === 401 && i < 50) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
    }
  };
}
