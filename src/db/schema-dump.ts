/**
 * A stable text dump of the schema (tables, columns, constraints, indexes, functions),
 * checked in as schema.txt beside the migrations. A test fails when the
 * migrations and the dump disagree; `npm run schema:dump` rewrites it.
 */
import type { Queryer } from './queryer.js';

/** Dumps the public schema, sorted, one object per line. */
export async function dumpSchema(q: Queryer): Promise<string> {
  const columns = await q.query<{ t: string; c: string; ty: string; n: string; d: string | null }>(
    'schema_columns',
    `SELECT table_name AS t, column_name AS c, data_type AS ty, is_nullable AS n, column_default AS d
     FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
  );
  const constraints = await q.query<{ t: string; def: string }>(
    'schema_constraints',
    `SELECT conrelid::regclass::text AS t, pg_get_constraintdef(oid) AS def FROM pg_constraint
     WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`,
  );
  const indexes = await q.query<{ def: string }>('schema_indexes', `SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`);
  const functions = await q.query<{ f: string }>(
    'schema_functions',
    `SELECT proname || '(' || pg_get_function_identity_arguments(oid) || ') ' || md5(prosrc) AS f FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1`,
  );
  return (
    [
      ...columns.map((r) => `column ${r.t}.${r.c} ${r.ty}${r.n === 'NO' ? ' not null' : ''}${r.d ? ` default ${r.d}` : ''}`),
      ...constraints.map((r) => `constraint ${r.t} ${r.def}`),
      ...indexes.map((r) => `index ${r.def}`),
      ...functions.map((r) => `function ${r.f}`),
    ].join('\n') + '\n'
  );
}
