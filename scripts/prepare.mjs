// `npm ci` runs this: compiles TypeScript to dist/ when the compiler is installed.
// A production install (`npm ci --omit=dev`) has no compiler; bin/wharf.js then
// runs the sources through tsx (a dependency), so the install still works.
import { execSync } from 'node:child_process';
import { createRequire } from 'node:module';

try {
  createRequire(import.meta.url).resolve('typescript');
} catch {
  process.stdout.write('prepare: typescript is not installed (--omit=dev); wharf will compile its sources on start\n');
  process.exit(0);
}
execSync('npm run build', { stdio: 'inherit' });
