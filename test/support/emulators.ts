/**
 * The object-storage emulators (s3rver, Azurite, the Firebase storage
 * emulator) are test-only and heavy (~300 MB), so they are not in Wharf's
 * package.json: they live in `test/emulators/`, installed by `.ci/run` (or by
 * hand: `npm ci --prefix test/emulators`). Tests that need one are skipped
 * with a loud message when it is missing, except under CI=true, where that
 * fails the run.
 */
import { createRequire } from 'node:module';

/** `require` resolving from test/emulators/node_modules. */
export const emulatorRequire = createRequire(new URL('../emulators/package.json', import.meta.url));

/** Path of an executable the emulators install (`node_modules/.bin`). */
export const emulatorBin = (name: string): string => new URL(`../emulators/node_modules/.bin/${name}`, import.meta.url).pathname;

/** Returns a skip reason when `pkg` is not installed in test/emulators (printed loudly); throws under CI=true. */
export function requireEmulator(pkg: 's3rver' | 'azurite' | 'firebase-tools'): string | undefined {
  try {
    emulatorRequire.resolve(`${pkg}/package.json`);
    return undefined;
  } catch {
    const msg = `the ${pkg} emulator is not installed (npm ci --prefix test/emulators); tests that need it are SKIPPED`;
    if (process.env.CI === 'true') throw new Error(`CI=true but ${msg}`);
    process.stderr.write(`\n!!! ${msg}\n\n`);
    return msg;
  }
}
