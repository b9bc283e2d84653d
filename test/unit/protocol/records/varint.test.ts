import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordCursor, sizeOfVarlongNumber, writeVarint, writeVarlongNumber } from '../../../../src/protocol/records/varint.js';
import { Reader } from '../../../../src/protocol/runtime/reader.js';
import { sizeOfVarint, sizeOfVarlong, Writer } from '../../../../src/protocol/runtime/writer.js';
import { expectDecodeError } from './helpers.js';

describe('number varints agree with the runtime BigInt ones', () => {
  const longs = [0, 1, -1, 63, -64, 64, -65, 8191, 8192, 2 ** 31, -(2 ** 31) - 1, 1_700_000_000_000, -1_700_000_000_000, 2 ** 52 - 1, -(2 ** 52)];
  it('varlong', () => {
    for (const v of longs) {
      const w = new Writer(sizeOfVarlong(BigInt(v)));
      w.varlong(BigInt(v));
      const ref = w.finish();
      assert.equal(sizeOfVarlongNumber(v), ref.length, `size of ${v}`);
      const mine = Buffer.alloc(10);
      assert.equal(writeVarlongNumber(mine, 0, v), ref.length);
      assert.deepEqual(mine.subarray(0, ref.length), ref);
      const cur = new RecordCursor(ref, 0, ref.length, 'x');
      assert.equal(cur.varlong(ref.length, 0, 'f'), v);
      assert.equal(cur.pos, ref.length);
    }
  });
  it('varint', () => {
    for (const v of [0, 1, -1, 63, -64, 64, 2 ** 31 - 1, -(2 ** 31), 123456, -123456]) {
      const w = new Writer(sizeOfVarint(v));
      w.varint(v);
      const ref = w.finish();
      const mine = Buffer.alloc(5);
      assert.equal(writeVarint(mine, 0, v), ref.length);
      assert.deepEqual(mine.subarray(0, ref.length), ref);
      assert.equal(new RecordCursor(ref, 0, ref.length, 'x').varint(ref.length, 0, 'f'), v);
      assert.equal(new Reader(ref).varint('f'), v);
    }
  });
  it('rejects overlong, truncated and out-of-range values', () => {
    const long = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expectDecodeError(() => new RecordCursor(long, 0, long.length, 'x').varint(long.length, 3, 'offsetDelta'), /x\[3\]\.offsetDelta.*longer than 32 bits/);
    expectDecodeError(() => new RecordCursor(long, 0, 3, 'x').varint(3, 0, 'f'), /truncated/);
    const huge = Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expectDecodeError(() => new RecordCursor(huge, 0, huge.length, 'x').varlong(huge.length, 0, 'timestampDelta'), /out of the supported range/);
    const eleven = Buffer.alloc(11, 0x80);
    expectDecodeError(() => new RecordCursor(eleven, 0, 11, 'x').varlong(11, 0, 'f'), /longer than 64 bits/);
  });
});
