/** Every error code of the table is documented in the README. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '../../src/oci/errors.js';

describe('documentation', () => {
  it('documents every error code with its status in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
      assert.ok(row, `${code} has a row in the README`);
      assert.ok(row.includes(String(info.status)), `${code} row shows status ${info.status}`);
    }
  });
});
