import type { Api } from '../../types';

/** The editable part of an API, as PATCH takes it and as the YAML view shows it. */
export const EDITABLE = [
  'name',
  'description',
  'version',
  'basePath',
  'stripBasePath',
  'hosts',
  'lifecycle',
  'visibility',
  'tags',
  'categories',
  'shardingTags',
  'upstream',
  'policies',
  'routes',
] as const;

export type Definition = Pick<Api, (typeof EDITABLE)[number]>;

export function definitionOf(api: Api): Definition {
  const out: Record<string, unknown> = {};
  for (const key of EDITABLE) out[key] = api[key];
  return out as Definition;
}
