/**
 * Reads Kafka's JSON message schemas (the language of Kafka's
 * clients/src/main/resources/common/message/README.md) into a small, checked model.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** An inclusive version range; `max` is Infinity for open ranges ("3+"). */
export interface VersionRange {
  min: number;
  max: number;
}

export function parseVersions(text: string | undefined, what: string): VersionRange | null {
  if (text === undefined) throw new Error(`${what}: missing versions`);
  const s = text.trim();
  if (s === 'none') return null;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return { min: Number(m[1]), max: Infinity };
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) return { min: Number(m[1]), max: Number(m[2]) };
  m = /^(\d+)$/.exec(s);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`${what}: cannot parse versions ${JSON.stringify(text)}`);
}

export function intersect(a: VersionRange | null, b: VersionRange | null): VersionRange | null {
  if (!a || !b) return null;
  const min = Math.max(a.min, b.min);
  const max = Math.min(a.max, b.max);
  return min <= max ? { min, max } : null;
}

export function contains(outer: VersionRange | null, inner: VersionRange | null): boolean {
  if (!inner) return true;
  if (!outer) return false;
  return outer.min <= inner.min && outer.max >= inner.max;
}

export type PrimitiveName = 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'string' | 'uuid' | 'bytes' | 'records';
const PRIMITIVES = new Set<string>(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'uuid', 'bytes', 'records']);

export type FieldType = { kind: 'primitive'; name: PrimitiveName } | { kind: 'struct'; struct: StructSpec } | { kind: 'array'; element: FieldType };

export interface FieldSpec {
  /** Kafka's name, e.g. `ThrottleTimeMs`. */
  name: string;
  /** camelCase property name, e.g. `throttleTimeMs`. */
  property: string;
  type: FieldType;
  versions: VersionRange | null;
  nullableVersions: VersionRange | null;
  taggedVersions: VersionRange | null;
  tag: number | null;
  /** Field-level override of the message's flexibleVersions (RequestHeader.ClientId is never compact). */
  flexibleVersions: VersionRange | null | undefined;
  ignorable: boolean;
  /** The schema's default text, if any. */
  default: string | undefined;
}

export interface StructSpec {
  /** Name used for the TypeScript type inside its message's namespace. */
  name: string;
  /** Versions in which this struct can be encoded (intersection of all enclosing ranges). */
  versions: VersionRange;
  fields: FieldSpec[];
}

export interface MessageSpec {
  file: string;
  name: string;
  type: 'request' | 'response' | 'header' | 'data';
  apiKey: number | null;
  validVersions: VersionRange;
  flexibleVersions: VersionRange | null;
  deprecatedVersions: VersionRange | null;
  latestVersionUnstable: boolean;
  listeners: string[];
  root: StructSpec;
  /** Every struct of the message, root first, nested ones in schema order. */
  structs: StructSpec[];
}

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  flexibleVersions?: string;
  ignorable?: boolean;
  default?: string | number | boolean;
  fields?: RawField[];
}
interface RawMessage {
  name: string;
  type: string;
  apiKey?: number;
  validVersions: string;
  flexibleVersions?: string;
  deprecatedVersions?: string;
  latestVersionUnstable?: boolean;
  listeners?: string[];
  fields: RawField[];
  commonStructs?: { name: string; versions: string; fields: RawField[] }[];
}

/** Kafka's files carry `//` license comments, which JSON does not allow. */
export function stripComments(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*\/\//.test(line))
    .join('\n');
}

export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function loadMessage(path: string, file: string): MessageSpec {
  const raw = JSON.parse(stripComments(readFileSync(path, 'utf8'))) as RawMessage;
  const what = `${file}`;
  const validVersions = parseVersions(raw.validVersions, what);
  if (!validVersions || validVersions.max === Infinity) throw new Error(`${what}: validVersions must be a closed range`);
  const type = raw.type as MessageSpec['type'];
  if (!['request', 'response', 'header', 'data'].includes(type)) throw new Error(`${what}: unknown message type ${raw.type}`);

  const structs: StructSpec[] = [];
  const validVersionsFinal = validVersions;
  const byName = new Map<string, StructSpec>();
  const commonRaw = new Map<string, { versions: string; fields: RawField[] }>();
  for (const c of raw.commonStructs ?? []) commonRaw.set(c.name, c);

  const buildStruct = (name: string, versions: VersionRange, rawFields: RawField[], path: string): StructSpec => {
    const existing = byName.get(name);
    if (existing) return existing; // a common struct used from several places
    const struct: StructSpec = { name, versions, fields: [] };
    byName.set(name, struct);
    structs.push(struct);
    struct.fields = rawFields.map((f) => buildField(f, struct, `${path}.${f.name}`));
    return struct;
  };

  const buildType = (typeName: string, f: RawField, fieldVersions: VersionRange, path: string): FieldType => {
    if (typeName.startsWith('[]')) return { kind: 'array', element: buildType(typeName.slice(2), f, fieldVersions, path) };
    if (PRIMITIVES.has(typeName)) return { kind: 'primitive', name: typeName as PrimitiveName };
    if (f.fields) return { kind: 'struct', struct: buildStruct(typeName, fieldVersions, f.fields, path) };
    const common = commonRaw.get(typeName);
    if (!common) throw new Error(`${path}: unknown type ${typeName}`);
    // Built once for every use, so with its own versions (within the message's), not the field's.
    const commonVersions = intersect(parseVersions(common.versions, path), validVersionsFinal) ?? validVersionsFinal;
    return { kind: 'struct', struct: buildStruct(typeName, commonVersions, common.fields, path) };
  };

  const buildField = (f: RawField, parent: StructSpec, path: string): FieldSpec => {
    const versions = intersect(parseVersions(f.versions, path), parent.versions);
    const type = buildType(f.type, f, versions ?? parent.versions, path);
    const field: FieldSpec = {
      name: f.name,
      property: camelCase(f.name),
      type,
      versions,
      nullableVersions: f.nullableVersions !== undefined ? intersect(parseVersions(f.nullableVersions, path), versions) : null,
      taggedVersions: f.taggedVersions !== undefined ? intersect(parseVersions(f.taggedVersions, path), versions) : null,
      tag: f.tag ?? null,
      flexibleVersions: f.flexibleVersions !== undefined ? parseVersions(f.flexibleVersions, path) : undefined,
      ignorable: f.ignorable === true,
      default: f.default === undefined ? undefined : String(f.default),
    };
    if ((field.taggedVersions === null) !== (field.tag === null) && f.taggedVersions !== undefined) {
      throw new Error(`${path}: tag and taggedVersions go together`);
    }
    return field;
  };

  const root = buildStruct(raw.name, validVersions, raw.fields, raw.name);
  return {
    file,
    name: raw.name,
    type,
    apiKey: raw.apiKey ?? null,
    validVersions,
    flexibleVersions: raw.flexibleVersions !== undefined ? parseVersions(raw.flexibleVersions, what) : null,
    deprecatedVersions: raw.deprecatedVersions !== undefined ? parseVersions(raw.deprecatedVersions, what) : null,
    latestVersionUnstable: raw.latestVersionUnstable === true,
    listeners: raw.listeners ?? [],
    root,
    structs,
  };
}

export function loadDirectory(dir: string): MessageSpec[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => loadMessage(join(dir, f), f));
}
