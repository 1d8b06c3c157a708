#!/usr/bin/env node
// Entry point for the `wharf` command: registers the TypeScript loader, then runs the CLI.
import { register } from 'tsx/esm/api';

// Storage calls run on libuv's thread pool; the default of 4 threads queues
// metadata writes under concurrent pushes. Must be set before the pool starts.
process.env.UV_THREADPOOL_SIZE ??= '16';

register();
await import('../src/cli/main.ts');
