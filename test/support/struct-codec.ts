// google.protobuf.Struct on the wire, for the engine stand-in's hot path: the values of a resource's properties are
// encoded and decoded here with native string and float conversions, the rest of each request and response by the
// protocol's own google-protobuf message classes. The semantics are those of google-protobuf's
// Struct.fromJavaScript / toJavaScript (null, finite or not numbers as doubles, strings, booleans, lists, structs);
// test/unit/support/struct-codec.test.ts checks the bytes against google-protobuf's.
//
// Struct { map<string, Value> fields = 1 }      map entry { string key = 1; Value value = 2 }
// Value { null_value = 1 (varint); number_value = 2 (double); string_value = 3; bool_value = 4 (varint);
//         struct_value = 5; list_value = 6 }   ListValue { repeated Value values = 1 }

type Json = null | number | string | boolean | Json[] | { [k: string]: Json };

class Writer {
  buf = Buffer.allocUnsafe(4096);
  pos = 0;
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  varint(v: number): void {
    this.ensure(10);
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
  string(s: string): void {
    const n = Buffer.byteLength(s, "utf8");
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }
  /** Write a length-delimited body produced by `body`, reserving one length byte and moving the body if it needs more. */
  delimited(body: () => void): void {
    this.ensure(1);
    const at = this.pos++;
    body();
    const len = this.pos - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return;
    }
    let extra = 0;
    for (let v = len; v > 0x7f; v = Math.floor(v / 128)) extra++;
    this.ensure(extra);
    this.buf.copy(this.buf, at + 1 + extra, at + 1, this.pos);
    this.pos = at;
    this.varint(len);
    this.pos += len;
  }
}

function writeValue(w: Writer, v: unknown): void {
  if (v === null || v === undefined) {
    w.byte(0x08); // null_value = NULL_VALUE (0)
    w.byte(0);
  } else if (typeof v === "number") {
    w.byte(0x11);
    w.ensure(8);
    w.buf.writeDoubleLE(v, w.pos);
    w.pos += 8;
  } else if (typeof v === "string") {
    w.byte(0x1a);
    w.string(v);
  } else if (typeof v === "boolean") {
    w.byte(0x20);
    w.byte(v ? 1 : 0);
  } else if (Array.isArray(v)) {
    w.byte(0x32);
    w.delimited(() => {
      for (const x of v) {
        w.byte(0x0a);
        w.delimited(() => writeValue(w, x));
      }
    });
  } else if (typeof v === "object") {
    w.byte(0x2a);
    w.delimited(() => writeStruct(w, v as Record<string, unknown>));
  } else {
    throw new Error(`Unexpected struct type: ${typeof v}`);
  }
}

function writeStruct(w: Writer, o: Record<string, unknown>): void {
  for (const key of Object.keys(o)) {
    const value = o[key];
    if (value === undefined) continue; // the wire has no undefined (the harness drops such members)
    w.byte(0x0a);
    w.delimited(() => {
      w.byte(0x0a);
      w.string(key);
      w.byte(0x12);
      w.delimited(() => writeValue(w, value));
    });
  }
}

/** Bytes of field `fieldNo` holding `o` as a google.protobuf.Struct, to append to a serialized message. */
export function structField(fieldNo: number, o: Record<string, unknown>): Buffer {
  const w = new Writer();
  w.varint((fieldNo << 3) | 2);
  w.delimited(() => writeStruct(w, o));
  return w.buf.subarray(0, w.pos);
}

// ---------------------------------------------------------------------------------------------------------------------
// Decoding

class Reader {
  pos: number;
  readonly buf: Buffer;
  readonly end: number;
  constructor(buf: Buffer, start: number, end: number) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }
  varint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error("truncated varint");
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  }
  /** Skip a field of `wireType` (for fields this codec does not know). */
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) {
      const n = this.varint(); // read first: `this.pos += this.varint()` would add to the position before the length
      this.pos += n;
    }
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

function readValue(r: Reader, end: number): Json {
  let out: Json = null;
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case 0x08:
        r.varint();
        out = null;
        break;
      case 0x11:
        out = r.buf.readDoubleLE(r.pos);
        r.pos += 8;
        break;
      case 0x1a: {
        const n = r.varint();
        out = r.buf.toString("utf8", r.pos, r.pos + n);
        r.pos += n;
        break;
      }
      case 0x20:
        out = r.varint() !== 0;
        break;
      case 0x2a: {
        const n = r.varint();
        out = readStruct(r, r.pos + n);
        break;
      }
      case 0x32: {
        const n = r.varint();
        const stop = r.pos + n;
        const list: Json[] = [];
        while (r.pos < stop) {
          const t = r.varint();
          if (t !== 0x0a) {
            r.skip(t & 7);
            continue;
          }
          const m = r.varint();
          list.push(readValue(r, r.pos + m));
        }
        out = list;
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  r.pos = end;
  return out;
}

function readStruct(r: Reader, end: number): { [k: string]: Json } {
  const o: { [k: string]: Json } = {};
  while (r.pos < end) {
    const tag = r.varint();
    if (tag !== 0x0a) {
      r.skip(tag & 7);
      continue;
    }
    const entryLen = r.varint();
    const entryEnd = r.pos + entryLen;
    let key = "";
    let value: Json = null;
    while (r.pos < entryEnd) {
      const t = r.varint();
      const n = t === 0x0a || t === 0x12 ? r.varint() : -1;
      if (t === 0x0a) {
        key = r.buf.toString("utf8", r.pos, r.pos + n);
        r.pos += n;
      } else if (t === 0x12) value = readValue(r, r.pos + n);
      else r.skip(t & 7);
    }
    o[key] = value;
  }
  r.pos = end;
  return o;
}

/**
 * Split a serialized message: the Struct-typed fields named in `structFields` are decoded here; every other field's
 * bytes are kept, in order, for the message class to deserialize.
 */
export function splitStructFields(bytes: Uint8Array, structFields: readonly number[]): { rest: Buffer; structs: Map<number, Record<string, unknown>> } {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new Reader(buf, 0, buf.length);
  const structs = new Map<number, Record<string, unknown>>();
  const kept: Buffer[] = [];
  while (r.pos < buf.length) {
    const start = r.pos;
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    if ((tag & 7) === 2 && structFields.includes(field)) {
      const n = r.varint();
      structs.set(field, readStruct(r, r.pos + n));
      continue;
    }
    r.skip(tag & 7);
    kept.push(buf.subarray(start, r.pos));
  }
  return { rest: Buffer.concat(kept), structs };
}
