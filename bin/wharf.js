#!/usr/bin/env node
// Entry point for the `wharf` command. Runs the compiled JavaScript in dist/
// (built by `npm run build`, which `npm ci`, `npm start` and `npm test` run);
// without it, falls back to compiling the TypeScript sources on the fly.
import { existsSync } from 'node:fs';

// Storage calls run on libuv's thread pool; the default of 4 threads queues
// metadata writes under concurrent pushes. Must be set before the pool starts.
process.env.UV_THREADPOOL_SIZE ??= '16';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
