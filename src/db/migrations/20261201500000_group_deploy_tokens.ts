/**
 * Group deploy tokens (GitLab's): a deploy token belongs to a project or to
 * a group. A group's token acts on the repositories of every project in the
 * group and its subgroups (read_registry, write_registry) and pulls through
 * the group's virtual registries (read_virtual_registry, SPEC 8.2).
 */
import type { Migration } from './migration.js';

export const migration: Migration = {
  id: '20261201500000_group_deploy_tokens',
  up: `
ALTER TABLE deploy_tokens ALTER COLUMN project_id DROP NOT NULL;
ALTER TABLE deploy_tokens ADD COLUMN group_id bigint REFERENCES namespaces(id) ON DELETE CASCADE;
ALTER TABLE deploy_tokens ADD CONSTRAINT deploy_tokens_one_owner CHECK ((project_id IS NULL) <> (group_id IS NULL));
CREATE INDEX deploy_tokens_group_id ON deploy_tokens (group_id) WHERE group_id IS NOT NULL;
`,
  down: `
DELETE FROM deploy_tokens WHERE group_id IS NOT NULL;
ALTER TABLE deploy_tokens DROP CONSTRAINT deploy_tokens_one_owner;
ALTER TABLE deploy_tokens DROP COLUMN group_id;
ALTER TABLE deploy_tokens ALTER COLUMN project_id SET NOT NULL;
`,
};
