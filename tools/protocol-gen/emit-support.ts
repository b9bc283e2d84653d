/**
 * The generator's small pieces: conditions on `version` folded at generation time, indented
 * lines, and facts about types and structs the emitter asks for.
 */
import type { FieldType, MessageSpec, StructSpec, VersionRange } from './schema.js';
import { contains, intersect } from './schema.js';

export const FIXED_SIZE: Record<string, number> = { bool: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, uuid: 16 };
export const READ_METHOD: Record<string, string> = {
  bool: 'bool',
  int8: 'int8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  float64: 'float64',
  uuid: 'uuid',
};

/** A condition on `version` known at generation time, or an expression. */
export type Cond = true | false | string;

export function and(a: Cond, b: Cond): Cond {
  if (a === false || b === false) return false;
  if (a === true) return b;
  if (b === true) return a;
  return `${a} && ${b}`;
}
export function not(a: Cond): Cond {
  if (a === true) return false;
  if (a === false) return true;
  return `!(${a})`;
}
export function pick(c: Cond, yes: string, no: string): string {
  if (c === true) return yes;
  if (c === false) return no;
  return `(${c} ? ${yes} : ${no})`;
}

/** `version` lies in `range`, given that it lies in `within`. */
export function versionCond(range: VersionRange | null, within: VersionRange): Cond {
  const r = intersect(range, within);
  if (!r) return false;
  if (contains(range, within)) return true;
  const parts: string[] = [];
  if (r.min > within.min) parts.push(`version >= ${r.min}`);
  if (r.max < within.max) parts.push(`version <= ${r.max}`);
  return parts.join(' && ');
}

export function describeVersions(r: VersionRange | null): string {
  if (!r) return 'none';
  if (r.max === Infinity) return `${r.min}+`;
  return r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`;
}

export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

export class Lines {
  readonly out: string[] = [];
  private depth = 0;
  line(s = ''): void {
    this.out.push(s === '' ? '' : '  '.repeat(this.depth) + s);
  }
  open(s: string): void {
    this.line(s);
    this.depth++;
  }
  close(s = '}'): void {
    this.depth--;
    this.line(s);
  }
  /** Closes one block and opens the next at the same depth, e.g. `} else {`. */
  middle(s: string): void {
    this.depth--;
    this.line(s);
    this.depth++;
  }
}

export function structOf(t: FieldType): StructSpec | null {
  if (t.kind === 'struct') return t.struct;
  if (t.kind === 'array') return structOf(t.element);
  return null;
}

export function isCommonStruct(msg: MessageSpec, s: StructSpec): boolean {
  // Inline structs are reached by exactly one field; common ones are named in commonStructs.
  let uses = 0;
  const count = (st: StructSpec, seen: Set<StructSpec>): void => {
    if (seen.has(st)) return;
    seen.add(st);
    for (const f of st.fields) {
      const inner = structOf(f.type);
      if (inner === s) uses++;
      if (inner) count(inner, seen);
    }
  };
  count(msg.root, new Set());
  return uses > 1;
}
