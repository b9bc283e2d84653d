// Every message of the schemas at every version: a value with non-default data in each field the
// version carries encodes to exactly the size computed, decodes to the same value, re-encodes to
// the same bytes; a value the version cannot carry is refused; unknown tagged fields survive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as generated from '../../../src/protocol/generated/index.js';
import { SHAPES, type FieldShape, type VersionRange } from '../../../src/protocol/generated/shapes.js';
import { KafkaDecodeError, KafkaEncodeError, type MessageCodec, Reader, Writer, decodeMessage, encodeMessage } from '../../../src/protocol/runtime/index.js';
import { rng } from '../../lib/rng.js';

const codecs = generated as unknown as Record<string, MessageCodec<any>>;

function inRange(r: VersionRange, v: number): boolean {
  return r !== null && v >= r[0] && (r[1] === -1 || v <= r[1]);
}


const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

function defaultOf(type: string, text: string | null, structs: Record<string, FieldShape[]>): unknown {
  if (text === 'null') return null;
  if (type.startsWith('[]')) return [];
  switch (type) {
    case 'bool':
      return text === 'true';
    case 'int64':
      return BigInt(text ?? '0');
    case 'string':
      return text ?? '';
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float64':
      return Number(text ?? '0');
    default:
      return buildStruct(structs, type, -1, () => 0, true);
  }
}

function randomScalar(type: string, rand: () => number): unknown {
  const int = (bits: number): number => Math.floor(rand() * 2 ** bits) - 2 ** (bits - 1);
  switch (type) {
    case 'bool':
      return true;
    case 'int8':
      return int(8) || 1;
    case 'int16':
      return int(16) || 1;
    case 'uint16':
      return Math.floor(rand() * 65535) + 1;
    case 'int32':
      return int(32) || 1;
    case 'uint32':
      return Math.floor(rand() * 2 ** 32) || 1;
    case 'int64':
      return (BigInt(int(32)) << 31n) ^ BigInt(int(31)) || 1n;
    case 'float64':
      return rand() * 1000 + 0.5;
    case 'string':
      return `s${Math.floor(rand() * 1e6)}-ü€😀`;
    case 'uuid':
      return Buffer.from(Array.from({ length: 16 }, () => Math.floor(rand() * 256))).toString('base64url');
    case 'bytes':
    case 'records':
      return Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 20) }, () => Math.floor(rand() * 256)));
    default:
      throw new Error(`no scalar ${type}`);
  }
}

const SCALARS = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'uuid', 'bytes', 'records']);

/** A struct value for `version`: fields the version has get random values, the others their defaults. */
function buildStruct(structs: Record<string, FieldShape[]>, name: string, version: number, rand: () => number, defaults = false): Record<string, unknown> {
  const fields = structs[name];
  if (!fields) throw new Error(`unknown struct ${name}`);
  const out: Record<string, unknown> = {};
  for (const [property, type, versions, nullable, , def] of fields) {
    if (defaults || !inRange(versions, version)) {
      out[property] = defaultOf(type, def, structs);
    } else if (inRange(nullable, version) && rand() < 0.25) {
      out[property] = null;
    } else if (type.startsWith('[]')) {
      const el = type.slice(2);
      const n = 1 + Math.floor(rand() * 3);
      out[property] = Array.from({ length: n }, () => (SCALARS.has(el) ? randomScalar(el, rand) : buildStruct(structs, el, version, rand)));
    } else if (SCALARS.has(type)) {
      out[property] = randomScalar(type, rand);
    } else {
      out[property] = buildStruct(structs, type, version, rand);
    }
  }
  return out;
}

/** Removes `_unknownTaggedFields: undefined` so values compare structurally. */
function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clean);
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = clean(x);
    return o;
  }
  return v;
}

const names = Object.keys(SHAPES).sort();

test('every schema message has a generated codec', () => {
  assert.ok(names.length > 200, `only ${names.length} messages`);
  for (const name of names) assert.ok(codecs[`${name}Codec`], `${name}Codec missing`);
});

for (const name of names) {
  test(`${name}: round trip at every version`, () => {
    const shape = SHAPES[name]!;
    const codec = codecs[`${name}Codec`]!;
    for (let version = shape.versions[0]; version <= shape.versions[1]; version++) {
      for (let seed = 1; seed <= 3; seed++) {
        const value = buildStruct(shape.structs, '', version, rng(seed * 1000 + version));
        const bytes = encodeMessage(codec, value, version);
        assert.equal(bytes.length, codec.size(value, version));
        const decoded = decodeMessage(codec, bytes, version);
        assert.deepEqual(clean(decoded), clean(value), `${name} v${version} seed ${seed}`);
        assert.ok(encodeMessage(codec, decoded, version).equals(bytes), `${name} v${version}: re-encoding changed bytes`);
        // Every strict prefix is refused with the one decode error, never anything else.
        for (let cut = 0; cut < bytes.length; cut += Math.max(1, bytes.length >> 4)) {
          assert.throws(() => decodeMessage(codec, bytes.subarray(0, cut), version), KafkaDecodeError);
        }
      }
      // The defaults encode at every version.
      const d = codec.defaults();
      assert.deepEqual(clean(decodeMessage(codec, encodeMessage(codec, d, version), version)), clean(d));
    }
  });
}

test('a non-ignorable field the version cannot carry is an encode error, not silent loss', () => {
  // FetchRequest.topics[].topicId exists from v13; Fetch v12 cannot carry a topic id.
  const req = generated.FetchRequestCodec.defaults();
  req.topics = [{ topic: 'a', topicId: 'AQIDBAUGBwgJCgsMDQ4PEA', partitions: [] }];
  encodeMessage(generated.FetchRequestCodec, req, 13);
  // topicId is ignorable, so v12 drops it as Kafka does; LastFetchedEpoch (not ignorable) is refused.
  encodeMessage(generated.FetchRequestCodec, req, 12);
  req.topics[0]!.partitions = [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: 5, logStartOffset: -1n, partitionMaxBytes: 1, replicaDirectoryId: ZERO_UUID }];
  assert.throws(() => encodeMessage(generated.FetchRequestCodec, req, 11), KafkaEncodeError);
  encodeMessage(generated.FetchRequestCodec, req, 12);
});

test('null in a version that is not nullable is an encode error', () => {
  const res = generated.MetadataResponseCodec.defaults();
  res.topics = [
    { errorCode: 0, name: null, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 },
  ];
  assert.throws(() => encodeMessage(generated.MetadataResponseCodec, res, 11), KafkaEncodeError);
  encodeMessage(generated.MetadataResponseCodec, res, 12);
});

test('unknown tagged fields are kept and re-encoded in tag order', () => {
  const codec = generated.ApiVersionsRequestCodec;
  const value = { clientSoftwareName: 'x', clientSoftwareVersion: '1', _unknownTaggedFields: [
    { tag: 3, data: Buffer.from([1, 2, 3]) },
    { tag: 90, data: Buffer.alloc(0) },
  ] };
  const bytes = encodeMessage(codec, value, 3);
  const decoded = decodeMessage(codec, bytes, 3);
  assert.deepEqual(decoded._unknownTaggedFields, value._unknownTaggedFields);
  assert.ok(encodeMessage(codec, decoded, 3).equals(bytes));
  // Known tags interleave with unknown ones by tag: FetchRequest v12 knows tag 0 (clusterId).
  const fetch = generated.FetchRequestCodec.defaults();
  fetch.clusterId = 'c';
  fetch._unknownTaggedFields = [{ tag: 5, data: Buffer.from([7]) }];
  const fb = encodeMessage(generated.FetchRequestCodec, fetch, 12);
  const fd = decodeMessage(generated.FetchRequestCodec, fb, 12);
  assert.equal(fd.clusterId, 'c');
  assert.deepEqual(fd._unknownTaggedFields, fetch._unknownTaggedFields);
  assert.ok(encodeMessage(generated.FetchRequestCodec, fd, 12).equals(fb));
});

test('forged counts and lengths are refused before anything is allocated', () => {
  // MetadataRequest v1: topics array count 0x7fffffff with no bytes behind it.
  const forged = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
  assert.throws(() => decodeMessage(generated.MetadataRequestCodec, forged, 1), (e: unknown) => {
    assert.ok(e instanceof KafkaDecodeError);
    assert.match(e.message, /MetadataRequest v1 topics/);
    return true;
  });
  // A compact string claiming 2 GB.
  const r = new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07, 0x41]));
  assert.throws(() => r.compactString('x'), KafkaDecodeError);
  // A varint longer than 5 bytes.
  assert.throws(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).unsignedVarint('v'), KafkaDecodeError);
});

test('writer varints and sizes agree', () => {
  for (const n of [0, 1, 127, 128, 16383, 16384, 2097151, 2097152, 268435455, 268435456, 0xffffffff]) {
    const w = new Writer(5);
    w.unsignedVarint(n);
    assert.equal(new Reader(w.buf, 0, w.offset).unsignedVarint('n'), n);
  }
  for (const n of [0, -1, 1, -64, 64, 2 ** 31 - 1, -(2 ** 31)]) {
    const w = new Writer(5);
    w.varint(n);
    assert.equal(new Reader(w.buf, 0, w.offset).varint('n'), n);
  }
  for (const n of [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
    const w = new Writer(10);
    w.varlong(n);
    assert.equal(new Reader(w.buf, 0, w.offset).varlong('n'), n);
  }
});
