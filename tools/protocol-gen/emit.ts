/**
 * Emits TypeScript for one or more messages: an interface per struct (nested ones in a
 * namespace named after the message), and read/write/size/default functions that check the
 * version once per field, with checks that can never fail pruned against the struct's versions.
 */
import { type FieldSpec, type FieldType, type MessageSpec, type StructSpec, type VersionRange, intersect } from './schema.js';
import { type Cond, FIXED_SIZE, Lines, READ_METHOD, and, describeVersions, isCommonStruct, not, pick, structOf, versionCond } from './emit-support.js';

interface StructInfo {
  msg: MessageSpec;
  struct: StructSpec;
  /** Function-name suffix, unique within the file. */
  id: string;
  /** Qualified TypeScript type name. */
  typeName: string;
  /** Field path prefix for decode errors. */
  path: string;
}

export class FileEmitter {
  private readonly body = new Lines();
  private readonly infos = new Map<StructSpec, StructInfo>();
  private readonly needsIsDefault = new Set<StructSpec>();
  private readonly emittedIsDefault = new Set<StructSpec>();
  readonly runtimeImports = new Set<string>(['Reader', 'Writer']);
  readonly typeImports = new Set<string>();

  addMessage(msg: MessageSpec): void {
    const pending: StructInfo[] = [];
    const visit = (struct: StructSpec, path: string): void => {
      if (this.infos.has(struct)) return;
      const isRoot = struct === msg.root;
      const info: StructInfo = {
        msg,
        struct,
        id: isRoot ? msg.name : `${msg.name}_${struct.name}`,
        typeName: isRoot ? msg.name : `${msg.name}.${struct.name}`,
        path,
      };
      this.infos.set(struct, info);
      pending.push(info);
      for (const f of struct.fields) {
        const s = structOf(f.type);
        if (s) visit(s, isCommonStruct(msg, s) ? s.name : `${path ? `${path}.` : ''}${f.property}`);
      }
    };
    visit(msg.root, '');
    this.emitTypes(msg);
    for (const info of pending) this.emitStruct(info);
    this.emitCodec(msg);
  }

  // ---- types ---------------------------------------------------------------------------

  private tsType(t: FieldType): string {
    if (t.kind === 'array') return `${this.tsType(t.element)}[]`;
    if (t.kind === 'struct') return this.infos.get(t.struct)!.typeName;
    switch (t.name) {
      case 'bool':
        return 'boolean';
      case 'int64':
        return 'bigint';
      case 'string':
      case 'uuid':
        return 'string';
      case 'bytes':
      case 'records':
        return 'Buffer';
      default:
        return 'number';
    }
  }

  private fieldType(f: FieldSpec): string {
    const t = this.tsType(f.type);
    return f.nullableVersions ? `${t} | null` : t;
  }

  private fieldDoc(f: FieldSpec): string {
    const facts = [`v${describeVersions(f.versions)}`];
    if (f.nullableVersions) facts.push(`nullable v${describeVersions(f.nullableVersions)}`);
    if (f.taggedVersions) facts.push(`tag ${f.tag} v${describeVersions(f.taggedVersions)}`);
    if (f.default !== undefined) facts.push(`default ${f.default}`);
    if (f.ignorable) facts.push('ignorable');
    return `/** ${facts.join('; ')} */`;
  }

  private emitInterface(info: StructInfo, exported: string, name: string): void {
    const b = this.body;
    b.open(`${exported}interface ${name} {`);
    for (const f of info.struct.fields) {
      b.line(this.fieldDoc(f));
      b.line(`${f.property}: ${this.fieldType(f)};`);
    }
    if (info.msg.flexibleVersions && intersect(info.msg.flexibleVersions, info.struct.versions)) {
      this.typeImports.add('TaggedField');
      b.line('/** Tagged fields this version of the schema does not know, kept for re-encoding. */');
      b.line('_unknownTaggedFields?: TaggedField[];');
    }
    b.close();
  }

  private emitTypes(msg: MessageSpec): void {
    const b = this.body;
    const root = this.infos.get(msg.root)!;
    b.line(`/** ${msg.name}: versions ${describeVersions(msg.validVersions)}, flexible ${describeVersions(msg.flexibleVersions)}. */`);
    this.emitInterface(root, 'export ', msg.name);
    const nested = [...this.infos.values()].filter((i) => i.msg === msg && i.struct !== msg.root);
    if (nested.length > 0) {
      b.line();
      b.open(`export namespace ${msg.name} {`);
      nested.forEach((info, i) => {
        if (i > 0) b.line();
        this.emitInterface(info, 'export ', info.struct.name);
      });
      b.close();
    }
    b.line();
  }

  // ---- defaults ------------------------------------------------------------------------

  private defaultExpr(f: FieldSpec): string {
    const d = f.default;
    const t = f.type;
    if (d === 'null') {
      if (!f.nullableVersions) throw new Error(`${f.name}: default null on a field that is never nullable`);
      return 'null';
    }
    if (t.kind === 'array') return '[]';
    if (t.kind === 'struct') return `default_${this.infos.get(t.struct)!.id}()`;
    switch (t.name) {
      case 'bool':
        return d === undefined ? 'false' : String(d === 'true');
      case 'int64':
        return `${d === undefined ? 0n : BigInt(d)}n`;
      case 'string':
        return JSON.stringify(d ?? '');
      case 'uuid':
        this.runtimeImports.add('UUID_ZERO');
        return 'UUID_ZERO';
      case 'bytes':
        this.runtimeImports.add('EMPTY_BUFFER');
        return 'EMPTY_BUFFER';
      case 'records':
        if (f.nullableVersions) return 'null';
        this.runtimeImports.add('EMPTY_BUFFER');
        return 'EMPTY_BUFFER';
      default: {
        const n = d === undefined ? 0 : Number(d);
        if (!Number.isFinite(n)) throw new Error(`${f.name}: bad default ${d}`);
        return String(n);
      }
    }
  }

  /** An expression that is true when `x` differs from the field's default. */
  private nonDefault(f: FieldSpec, x: string): string {
    const d = this.defaultExpr(f);
    const t = f.type;
    if (d === 'null') return `${x} !== null`;
    if (t.kind === 'array') return f.nullableVersions ? `(${x} === null || ${x}.length !== 0)` : `${x}.length !== 0`;
    if (t.kind === 'struct') {
      this.needsIsDefault.add(t.struct);
      return f.nullableVersions ? `(${x} === null || !isDefault_${this.infos.get(t.struct)!.id}(${x}))` : `!isDefault_${this.infos.get(t.struct)!.id}(${x})`;
    }
    if (t.name === 'bytes' || t.name === 'records') return f.nullableVersions ? `(${x} === null || ${x}.length !== 0)` : `${x}.length !== 0`;
    return `${x} !== ${d}`;
  }

  // ---- per-struct functions ------------------------------------------------------------

  /** Versions in which this field is written in the body (present and not tagged). */
  private bodyCond(f: FieldSpec, s: StructSpec): Cond {
    return and(versionCond(f.versions, s.versions), not(versionCond(f.taggedVersions, s.versions)));
  }
  /** Whether the field is compact, knowing the version is in `within` (where the field is written). */
  private flexCond(f: FieldSpec, msg: MessageSpec, within: VersionRange): Cond {
    const flex = f.flexibleVersions !== undefined ? f.flexibleVersions : msg.flexibleVersions;
    return versionCond(flex, within);
  }
  /** The versions in which a field is written in the body, or in the tagged section. */
  private bodyRange(f: FieldSpec, s: StructSpec): VersionRange {
    const present = intersect(f.versions, s.versions) ?? s.versions;
    const tagged = intersect(f.taggedVersions, present);
    // Kafka's tagged versions are a tail of the field's versions ("12+"), so the body is the rest.
    return tagged && tagged.min > present.min ? { min: present.min, max: tagged.min - 1 } : present;
  }

  private minSize(t: FieldType, version: number, msg: MessageSpec, f: FieldSpec | null): number {
    const flexRange = f && f.flexibleVersions !== undefined ? f.flexibleVersions : msg.flexibleVersions;
    const flexible = !!flexRange && version >= flexRange.min && version <= flexRange.max;
    if (t.kind === 'array') return flexible ? 1 : 4;
    if (t.kind === 'struct') {
      const nullable = f?.nullableVersions && version >= f.nullableVersions.min && version <= f.nullableVersions.max;
      return nullable ? 1 : this.structMinSize(t.struct, version, msg);
    }
    if (t.name in FIXED_SIZE) return FIXED_SIZE[t.name]!;
    if (t.name === 'string') return flexible ? 1 : 2;
    return flexible ? 1 : 4; // bytes, records
  }

  private structMinSize(s: StructSpec, version: number, msg: MessageSpec): number {
    let n = 0;
    for (const f of s.fields) {
      const present = f.versions && version >= f.versions.min && version <= f.versions.max;
      const tagged = f.taggedVersions && version >= f.taggedVersions.min && version <= f.taggedVersions.max;
      if (present && !tagged) n += this.minSize(f.type, version, msg, f);
    }
    const flex = msg.flexibleVersions;
    if (flex && version >= flex.min && version <= flex.max) n += 1;
    return n;
  }

  /** The smallest encoding of one element, over the versions the element can have (at least 1). */
  private elementMinSize(t: FieldType, msg: MessageSpec, f: FieldSpec, within: VersionRange): number {
    let min = Infinity;
    for (let v = within.min; v <= within.max; v++) min = Math.min(min, this.minSize(t, v, msg, f));
    return Math.max(1, min === Infinity ? 1 : min);
  }

  private emitStruct(info: StructInfo): void {
    this.emitDefault(info);
    this.emitRead(info);
    this.emitWrite(info);
    this.emitSize(info);
  }

  private emitDefault(info: StructInfo): void {
    const b = this.body;
    b.open(`function default_${info.id}(): ${info.typeName} {`);
    b.open('return {');
    for (const f of info.struct.fields) b.line(`${f.property}: ${this.defaultExpr(f)},`);
    b.close('};');
    b.close();
    b.line();
  }

  private path(info: StructInfo, f: FieldSpec): string {
    return JSON.stringify(info.path ? `${info.path}.${f.property}` : f.property);
  }

  private emitReadValue(info: StructInfo, f: FieldSpec, target: string, within: VersionRange): void {
    const b = this.body;
    const p = this.path(info, f);
    const fc = this.flexCond(f, info.msg, within);
    const nc = versionCond(f.nullableVersions, within);
    const t = f.type;
    if (t.kind === 'array') {
      const min = this.elementMinSize(t.element, info.msg, f, within);
      b.line(`const n_${f.property} = ${pick(fc, `r.compactArrayLength(${p}, ${min})`, `r.arrayLength(${p}, ${min})`)};`);
      if (f.nullableVersions) {
        b.open(`if (n_${f.property} < 0) {`);
        if (nc !== true) b.line(`${nc === false ? '' : `if (${not(nc)}) `}r.fail(${p}, 'null where an array is required');`);
        b.line(`${target} = null;`);
        b.middle('} else {');
      } else {
        b.line(`if (n_${f.property} < 0) r.fail(${p}, 'null where an array is required');`);
        b.open('{');
      }
      b.line(`const a: ${this.tsType(t.element)}[] = [];`);
      b.line(`for (let i = 0; i < n_${f.property}; i++) a.push(${this.readScalar(info, f, t.element, p, fc, false)});`);
      b.line(`${target} = a;`);
      b.close();
      return;
    }
    if (t.kind === 'struct' && f.nullableVersions && nc !== false) {
      // A nullable struct is preceded by a marker byte: -1 for null, 1 for present.
      const read = `read_${this.infos.get(t.struct)!.id}(r, version)`;
      b.line(`${target} = ${nc === true ? '' : `!(${nc}) || `}r.int8(${p}) >= 0 ? ${read} : null;`);
      return;
    }
    b.line(`${target} = ${this.readScalar(info, f, t, p, fc, nc)};`);
  }

  private readScalar(info: StructInfo, f: FieldSpec, t: FieldType, p: string, fc: Cond, nc: Cond): string {
    if (t.kind === 'struct') return `read_${this.infos.get(t.struct)!.id}(r, version)`;
    if (t.kind === 'array') throw new Error(`${f.name}: nested arrays are not in Kafka's schema language`);
    if (t.name === 'string') {
      return pick(fc, pick(nc, `r.compactNullableString(${p})`, `r.compactString(${p})`), pick(nc, `r.nullableString(${p})`, `r.string(${p})`));
    }
    if (t.name === 'bytes' || t.name === 'records') {
      return pick(fc, pick(nc, `r.compactNullableBytes(${p})`, `r.compactBytes(${p})`), pick(nc, `r.nullableBytes(${p})`, `r.bytes(${p})`));
    }
    return `r.${READ_METHOD[t.name]}(${p})`;
  }

  private taggedFields(s: StructSpec): FieldSpec[] {
    return s.fields.filter((f) => f.taggedVersions && intersect(f.taggedVersions, s.versions)).sort((a, b) => a.tag! - b.tag!);
  }

  private emitRead(info: StructInfo): void {
    const b = this.body;
    const s = info.struct;
    const flexible = versionCond(info.msg.flexibleVersions, s.versions);
    b.open(`function read_${info.id}(r: Reader, version: number): ${info.typeName} {`);
    for (const f of s.fields) b.line(`let f_${f.property}: ${this.fieldType(f)} = ${this.defaultExpr(f)};`);
    for (const f of s.fields) {
      const c = this.bodyCond(f, s);
      if (c === false) continue;
      if (c !== true) b.open(`if (${c}) {`);
      this.emitReadValue(info, f, `f_${f.property}`, this.bodyRange(f, s));
      if (c !== true) b.close();
    }
    const hasTagSection = flexible !== false;
    if (hasTagSection) {
      this.typeImports.add('TaggedField');
      b.line('let unknownTagged: TaggedField[] | undefined;');
      if (flexible !== true) b.open(`if (${flexible}) {`);
      const tp = JSON.stringify(info.path ? `${info.path}._tagged` : '_tagged');
      b.line(`const numTagged = r.unsignedVarint(${tp});`);
      b.open('for (let i = 0; i < numTagged; i++) {');
      b.line(`const tag = r.unsignedVarint(${tp});`);
      b.line(`const size = r.unsignedVarint(${tp});`);
      const tagged = this.taggedFields(s);
      if (tagged.length > 0) {
        b.line(`const end = r.taggedFieldEnd(size, ${tp});`);
        b.open('switch (tag) {');
        for (const f of tagged) {
          b.open(`case ${f.tag}: {`);
          const c = versionCond(f.taggedVersions, s.versions);
          if (c !== true) b.open(`if (${c}) {`);
          this.emitReadValue(info, f, `f_${f.property}`, intersect(f.taggedVersions, s.versions)!);
          b.line(`r.expectAt(end, ${this.path(info, f)});`);
          b.line('continue;');
          if (c !== true) {
            b.close();
            b.line('break;');
          }
          b.close();
        }
        b.close();
      }
      b.line(`(unknownTagged ??= []).push({ tag, data: r.slice(size, ${tp}) });`);
      b.close();
      if (flexible !== true) b.close();
    }
    b.open('return {');
    for (const f of s.fields) b.line(`${f.property}: f_${f.property},`);
    if (hasTagSection) b.line('_unknownTaggedFields: unknownTagged,');
    b.close('};');
    b.close();
    b.line();
  }

  private encodeError(info: StructInfo, f: FieldSpec, what: string): string {
    this.runtimeImports.add('KafkaEncodeError');
    const field = info.path ? `${info.path}.${f.property}` : f.property;
    return `throw new KafkaEncodeError(\`${info.msg.name} v\${version}: ${field} ${what}\`);`;
  }

  /** Throws when a value cannot be carried by this version (Kafka's rule for non-ignorable fields). */
  private emitPresenceChecks(info: StructInfo, f: FieldSpec, x: string): void {
    const b = this.body;
    const s = info.struct;
    const present = versionCond(f.versions, s.versions);
    if (present !== true && !f.ignorable) {
      b.line(`if (${present === false ? '' : `!(${present}) && `}${this.nonDefault(f, x)}) ${this.encodeError(info, f, `cannot be set before/after the versions it exists in (${describeVersions(f.versions)})`)}`);
    }
    if (f.nullableVersions) {
      const nc = versionCond(f.nullableVersions, s.versions);
      if (nc !== true) {
        const cond = and(present, not(nc));
        if (cond !== false) b.line(`if (${cond === true ? '' : `${cond} && `}${x} === null) ${this.encodeError(info, f, 'cannot be null in this version')}`);
      }
    }
  }

  private emitWriteValue(info: StructInfo, f: FieldSpec, x: string, within: VersionRange): void {
    const b = this.body;
    const fc = this.flexCond(f, info.msg, within);
    const t = f.type;
    if (t.kind === 'array') {
      if (f.nullableVersions) {
        b.open(`if (${x} === null) {`);
        b.line(`${pick(fc, 'w.unsignedVarint(0)', 'w.int32(-1)')};`);
        b.middle('} else {');
      } else b.open('{');
      b.line(`${pick(fc, `w.unsignedVarint(${x}.length + 1)`, `w.int32(${x}.length)`)};`);
      b.line(`for (const e of ${x}) ${this.writeScalar(info, f, t.element, 'e', fc)};`);
      b.close();
      return;
    }
    if (t.kind === 'struct' && f.nullableVersions) {
      const nc = versionCond(f.nullableVersions, within);
      const write = `write_${this.infos.get(t.struct)!.id}(w, ${x}, version)`;
      if (nc === false) {
        b.line(`${write.replace(`, ${x},`, `, ${x}!,`)};`);
        return;
      }
      b.open(`if (${x} === null) {`);
      b.line('w.int8(-1);');
      b.middle('} else {');
      b.line(nc === true ? 'w.int8(1);' : `if (${nc}) w.int8(1);`);
      b.line(`${write};`);
      b.close();
      return;
    }
    b.line(`${this.writeScalar(info, f, t, x, fc)};`);
  }

  private writeScalar(info: StructInfo, f: FieldSpec, t: FieldType, x: string, fc: Cond): string {
    if (t.kind === 'struct') return `write_${this.infos.get(t.struct)!.id}(w, ${x}, version)`;
    if (t.kind === 'array') throw new Error(`${f.name}: nested arrays`);
    if (t.name === 'string') return pick(fc, `w.compactString(${x})`, f.nullableVersions ? `w.nullableString(${x})` : `w.string(${x})`);
    if (t.name === 'bytes' || t.name === 'records') return pick(fc, `w.compactBytes(${x})`, `w.bytes(${x})`);
    return `w.${READ_METHOD[t.name]}(${x})`;
  }

  /** Emits `acc += <encoded size of x>` statements. */
  private emitSizeValue(info: StructInfo, f: FieldSpec, x: string, acc: string, within: VersionRange): void {
    const b = this.body;
    const fc = this.flexCond(f, info.msg, within);
    const t = f.type;
    if (t.kind === 'array') {
      if (f.nullableVersions) {
        b.open(`if (${x} === null) {`);
        b.line(`${acc} += ${pick(fc, '1', '4')};`);
        b.middle('} else {');
      } else b.open('{');
      b.line(`${acc} += ${pick(fc, `sizeOfUnsignedVarint(${x}.length + 1)`, '4')};`);
      if (fc !== false) this.runtimeImports.add('sizeOfUnsignedVarint');
      const el = t.element;
      if (el.kind === 'primitive' && el.name in FIXED_SIZE) b.line(`${acc} += ${x}.length * ${FIXED_SIZE[el.name]};`);
      else b.line(`for (const e of ${x}) ${acc} += ${this.sizeScalar(info, f, el, 'e', fc)};`);
      b.close();
      return;
    }
    if (t.kind === 'struct' && f.nullableVersions) {
      const nc = versionCond(f.nullableVersions, within);
      const size = `size_${this.infos.get(t.struct)!.id}(${x}, version)`;
      if (nc === false) b.line(`${acc} += ${size.replace(`(${x},`, `(${x}!,`)};`);
      else b.line(`${acc} += ${nc === true ? '1' : `(${nc} ? 1 : 0)`} + (${x} === null ? 0 : ${size});`);
      return;
    }
    b.line(`${acc} += ${this.sizeScalar(info, f, t, x, fc)};`);
  }

  private sizeScalar(info: StructInfo, f: FieldSpec, t: FieldType, x: string, fc: Cond): string {
    if (t.kind === 'struct') return `size_${this.infos.get(t.struct)!.id}(${x}, version)`;
    if (t.kind === 'array') throw new Error(`${f.name}: nested arrays`);
    if (t.name === 'string') {
      const compact = fc !== false;
      const plain = fc !== true;
      if (compact) this.runtimeImports.add('sizeOfCompactString');
      if (plain) this.runtimeImports.add(f.nullableVersions ? 'sizeOfNullableString' : 'sizeOfString');
      return pick(fc, `sizeOfCompactString(${x})`, f.nullableVersions ? `sizeOfNullableString(${x})` : `sizeOfString(${x})`);
    }
    if (t.name === 'bytes' || t.name === 'records') {
      if (fc !== false) this.runtimeImports.add('sizeOfCompactBytes');
      if (fc !== true) this.runtimeImports.add('sizeOfBytes');
      return pick(fc, `sizeOfCompactBytes(${x})`, `sizeOfBytes(${x})`);
    }
    return String(FIXED_SIZE[t.name]);
  }

  private emitWrite(info: StructInfo): void {
    const b = this.body;
    const s = info.struct;
    const flexible = versionCond(info.msg.flexibleVersions, s.versions);
    b.open(`function write_${info.id}(w: Writer, v: ${info.typeName}, version: number): void {`);
    for (const f of s.fields) {
      const x = `v.${f.property}`;
      this.emitPresenceChecks(info, f, x);
      const c = this.bodyCond(f, s);
      if (c === false) continue;
      if (c !== true) b.open(`if (${c}) {`);
      this.emitWriteValue(info, f, x, this.bodyRange(f, s));
      if (c !== true) b.close();
    }
    if (flexible !== false) {
      if (flexible !== true) b.open(`if (${flexible}) {`);
      const tagged = this.taggedFields(s);
      b.line('const unknownTagged = v._unknownTaggedFields;');
      b.line(`let numTagged = unknownTagged === undefined ? 0 : unknownTagged.length;`);
      const presentCond = (f: FieldSpec): string => {
        const c = versionCond(f.taggedVersions, s.versions);
        return `${c === true ? '' : `${c} && `}${this.nonDefault(f, `v.${f.property}`)}`;
      };
      for (const f of tagged) b.line(`if (${presentCond(f)}) numTagged++;`);
      b.line('w.unsignedVarint(numTagged);');
      if (tagged.length > 0) {
        this.runtimeImports.add('writeUnknownTaggedFieldsBelow');
        b.line('let u = 0;');
        for (const f of tagged) {
          b.line(`if (unknownTagged !== undefined) u = writeUnknownTaggedFieldsBelow(w, unknownTagged, u, ${f.tag});`);
          b.open(`if (${presentCond(f)}) {`);
          b.line(`w.unsignedVarint(${f.tag});`);
          b.line('let size = 0;');
          this.emitSizeValue(info, f, `v.${f.property}`, 'size', intersect(f.taggedVersions, s.versions)!);
          b.line('w.unsignedVarint(size);');
          this.emitWriteValue(info, f, `v.${f.property}`, intersect(f.taggedVersions, s.versions)!);
          b.close();
        }
        b.line('if (unknownTagged !== undefined) writeUnknownTaggedFieldsBelow(w, unknownTagged, u, Infinity);');
      } else {
        this.runtimeImports.add('writeUnknownTaggedFieldsBelow');
        b.line('if (unknownTagged !== undefined) writeUnknownTaggedFieldsBelow(w, unknownTagged, 0, Infinity);');
      }
      if (flexible !== true) b.close();
    }
    b.close();
    b.line();
  }

  private emitSize(info: StructInfo): void {
    const b = this.body;
    const s = info.struct;
    const flexible = versionCond(info.msg.flexibleVersions, s.versions);
    b.open(`function size_${info.id}(v: ${info.typeName}, version: number): number {`);
    b.line('let n = 0;');
    for (const f of s.fields) {
      const c = this.bodyCond(f, s);
      if (c === false) continue;
      if (c !== true) b.open(`if (${c}) {`);
      this.emitSizeValue(info, f, `v.${f.property}`, 'n', this.bodyRange(f, s));
      if (c !== true) b.close();
    }
    if (flexible !== false) {
      if (flexible !== true) b.open(`if (${flexible}) {`);
      const tagged = this.taggedFields(s);
      this.runtimeImports.add('sizeOfTaggedFields');
      if (tagged.length > 0) {
        this.runtimeImports.add('sizeOfTaggedField');
        b.line('let numTagged = 0;');
        b.line('let taggedBytes = 0;');
        for (const f of tagged) {
          const c = versionCond(f.taggedVersions, s.versions);
          b.open(`if (${c === true ? '' : `${c} && `}${this.nonDefault(f, `v.${f.property}`)}) {`);
          b.line('let size = 0;');
          this.emitSizeValue(info, f, `v.${f.property}`, 'size', intersect(f.taggedVersions, s.versions)!);
          b.line('numTagged++;');
          b.line(`taggedBytes += sizeOfTaggedField(${f.tag}, size);`);
          b.close();
        }
        b.line('n += sizeOfTaggedFields(numTagged, taggedBytes, v._unknownTaggedFields);');
      } else {
        b.line('n += sizeOfTaggedFields(0, 0, v._unknownTaggedFields);');
      }
      if (flexible !== true) b.close();
    }
    b.line('return n;');
    b.close();
    b.line();
  }

  private emitIsDefaults(): void {
    const b = this.body;
    for (;;) {
      const next = [...this.needsIsDefault].find((s) => !this.emittedIsDefault.has(s));
      if (!next) return;
      this.emittedIsDefault.add(next);
      const info = this.infos.get(next)!;
      b.open(`function isDefault_${info.id}(v: ${info.typeName}): boolean {`);
      const conds = next.fields.map((f) => this.nonDefault(f, `v.${f.property}`));
      b.line(`return !(${conds.length ? conds.join(' || ') : 'false'});`);
      b.close();
      b.line();
    }
  }

  private emitCodec(msg: MessageSpec): void {
    const b = this.body;
    this.typeImports.add('MessageCodec');
    const flex = msg.flexibleVersions;
    b.open(`export const ${msg.name}Codec: MessageCodec<${msg.name}> = {`);
    b.line(`name: '${msg.name}',`);
    b.line(`minVersion: ${msg.validVersions.min},`);
    b.line(`maxVersion: ${msg.validVersions.max},`);
    b.line(`flexibleMinVersion: ${flex ? flex.min : 'Infinity'},`);
    b.line(`read: read_${msg.name},`);
    b.line(`write: write_${msg.name},`);
    b.line(`size: size_${msg.name},`);
    b.line(`defaults: default_${msg.name},`);
    b.close('};');
    b.line();
  }

  /** The file's text. */
  render(header: string): string {
    this.emitIsDefaults();
    const runtime = [...this.runtimeImports].sort();
    const types = [...this.typeImports].sort();
    const lines = [header, ''];
    lines.push(`import { ${runtime.join(', ')} } from '../../runtime/index.js';`);
    if (types.length) lines.push(`import type { ${types.join(', ')} } from '../../runtime/index.js';`);
    lines.push('');
    return `${lines.join('\n')}\n${this.body.out.join('\n').replace(/\n+$/, '')}\n`;
  }
}
