/** `virtual_registries/container/<id>/<image>`: the repository names a virtual registry answers (SPEC 8.2). */

export const VIRTUAL_PREFIX = 'virtual_registries/container/';

/** The registry id and image of a repository name, or undefined for an ordinary name. */
export function parseVirtualName(name: string): { registryId: number; image: string } | undefined {
  if (!name.startsWith(VIRTUAL_PREFIX)) return undefined;
  const rest = name.slice(VIRTUAL_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const id = rest.slice(0, slash);
  if (!/^[1-9][0-9]{0,17}$/.test(id)) return undefined;
  const image = rest.slice(slash + 1);
  return image ? { registryId: Number(id), image } : undefined;
}
