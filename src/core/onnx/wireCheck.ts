import type { DescMessage } from '@bufbuild/protobuf';
import { SubcloneError } from '../errors';
import { bufferSource, type ByteSource } from './byteSource';
import { ModelProtoSchema } from './proto';
import { WireType, fieldRules, type FieldRule } from './wireSchema';

/** protobuf's nesting limit (the same in onnx's C++ parser and in @bufbuild/protobuf). */
const MAX_DEPTH = 100;
const MAX_VARINT_BYTES = 10;
/** Tags are 32-bit: field numbers up to 2^29 - 1, times 8, plus the wire type. */
const MAX_TAG = 0xffffffff;
/** varint() results that are not positions. */
const CUT = -1;
const TOO_LONG = -2;

const WIRE_NAMES: Record<number, string> = {
  [WireType.Varint]: 'a varint',
  [WireType.Fixed64]: 'a 64-bit value',
  [WireType.Delimited]: 'a length-delimited record',
  [WireType.Fixed32]: 'a 32-bit value',
};

/**
 * Checks the protobuf structure of a serialized ModelProto, descending into every message-typed field of ONNX's
 * schema: each length-delimited field ends inside its parent message, varints are at most 10 bytes, wire types are
 * valid (no groups), known fields have the wire type the schema gives them, packed numbers fill their record
 * exactly, and nothing runs past the end. @bufbuild/protobuf does not check that a nested message's last field ends
 * inside it (it reads on into the parent), so without this a file that onnx and onnxruntime reject would be read.
 * Payloads (raw_data, strings) are skipped by length, never copied. Throws BadModel naming the file, the byte
 * offset and the field path (graph.initializer[12].raw_data).
 */
export function checkWireFormat(model: Uint8Array | ByteSource, file: string, visit?: FieldVisitor): void {
  const bytes = model instanceof Uint8Array ? bufferSource(model) : model;
  new WireWalker(bytes, file, visit).message(ModelProtoSchema, 0, bytes.length, 1);
}

/**
 * Told of every checked field, outer fields before the fields inside them: `path` holds the message fields it sits
 * in (outermost first; empty at the model's top level), the field runs from its tag at `tagStart` to `end`, and
 * a length-delimited value starts at `valueStart` (after the length).
 */
export type FieldVisitor = (path: readonly WireField[], field: WireField, tagStart: number, valueStart: number, end: number) => void;

/** One field occurrence: its rule (undefined for a field number the schema does not know) and repeat index. */
export interface WireField {
  rule: FieldRule | undefined;
  number: number;
  /** Index among the parent's values of this repeated field; -1 for a singular field. */
  index: number;
}

class WireWalker {
  /** The message fields being walked, outermost first. */
  private readonly path: WireField[] = [];
  /** The value of the varint varint() read last. */
  private value = 0;

  constructor(
    private readonly bytes: ByteSource,
    private readonly file: string,
    private readonly visit: FieldVisitor | undefined,
  ) {}

  message(desc: DescMessage, start: number, end: number, depth: number): void {
    if (depth > MAX_DEPTH) this.fail(start, `${this.here()} nests messages more than ${MAX_DEPTH} deep`, true);
    const rules = fieldRules(desc);
    const counts: number[] = [];
    let pos = start;
    while (pos < end) {
      const at = pos;
      pos = this.varint(pos, end);
      if (pos === CUT) this.fail(at, `a field tag runs past the end of ${this.here()}`, true);
      if (pos === TOO_LONG) this.fail(at, `${this.here()} holds a malformed field tag`, true);
      const tag = this.value;
      const number = Math.floor(tag / 8);
      const wire = tag % 8;
      if (number === 0) this.fail(at, `${this.here()} holds a field numbered 0 (tag ${tag})`, true);
      // protobuf's C++ parser keeps a longer tag's low 32 bits; a writer never makes one.
      if (tag > MAX_TAG) this.fail(at, `${this.here()} holds a field tag longer than 32 bits (${tag})`, false);
      const rule = rules.get(number);
      // A packed record holds many values: it has no index of its own.
      const indexed = rule?.repeated && !(rule.packable && wire === WireType.Delimited);
      const field: WireField = { rule, number, index: indexed ? (counts[number] = (counts[number] ?? -1) + 1) : -1 };
      pos = this.field(field, wire, pos, end, at, depth);
    }
  }

  /** Checks one field's value, starting after its tag at `pos`; returns the position after it. */
  private field(field: WireField, wire: number, pos: number, end: number, at: number, depth: number): number {
    const rule = field.rule;
    if (wire === WireType.StartGroup || wire === WireType.EndGroup) {
      this.fail(at, `${this.name(field)} is a protobuf group, which ONNX never uses`, false);
    }
    if (!(wire in WIRE_NAMES)) this.fail(at, `${this.name(field)} has the invalid wire type ${wire}`, true);
    if (rule && wire !== rule.wireType && !(rule.packable && wire === WireType.Delimited)) {
      this.fail(at, `${this.name(field)} is ${WIRE_NAMES[wire]} where ONNX's schema has ${WIRE_NAMES[rule.wireType]}`, false);
    }
    switch (wire) {
      case WireType.Varint: {
        const next = this.varint(pos, end);
        if (next === CUT) this.overrun(field, at, undefined);
        if (next === TOO_LONG) this.fail(at, `${this.name(field)} is a malformed varint (more than ${MAX_VARINT_BYTES} bytes)`, true);
        this.visit?.(this.path, field, at, pos, next);
        return next;
      }
      case WireType.Fixed64:
      case WireType.Fixed32: {
        const next = pos + (wire === WireType.Fixed64 ? 8 : 4);
        if (next > end) this.overrun(field, at, next - end);
        this.visit?.(this.path, field, at, pos, next);
        return next;
      }
      default: {
        const start = this.varint(pos, end);
        if (start === CUT) this.overrun(field, at, undefined);
        if (start === TOO_LONG) this.fail(at, `the length of ${this.name(field)} is a malformed varint`, true);
        const stop = start + this.value;
        if (stop > end) this.overrun(field, at, stop - end);
        this.visit?.(this.path, field, at, start, stop);
        if (rule?.message) {
          this.path.push(field);
          this.message(rule.message, start, stop, depth + 1);
          this.path.pop();
        } else if (rule?.packable) {
          this.packed(field, rule.wireType, start, stop, at);
        }
        return stop;
      }
    }
  }

  /** Checks a packed record of numbers of one wire type. */
  private packed(field: WireField, wire: WireType, start: number, stop: number, at: number): void {
    if (wire === WireType.Varint) {
      for (let pos = start; pos < stop; ) {
        pos = this.varint(pos, stop);
        if (pos === CUT) this.fail(at, `the last packed value of ${this.name(field)} runs past its end`, true);
        if (pos === TOO_LONG) this.fail(at, `${this.name(field)} holds a malformed packed varint`, true);
      }
      return;
    }
    const width = wire === WireType.Fixed64 ? 8 : 4;
    if ((stop - start) % width !== 0) {
      this.fail(at, `${this.name(field)} holds ${stop - start} bytes of packed ${width}-byte values, not a whole number of them`, true);
    }
  }

  /** Reads a varint ending before `end` into this.value; returns the position after it, CUT or TOO_LONG. */
  private varint(pos: number, end: number): number {
    const bytes = this.bytes;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (pos >= end) return CUT;
      const b = bytes.at(pos++);
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.value = value;
        return pos;
      }
      scale *= 128;
    }
    return TOO_LONG;
  }

  private overrun(field: WireField, at: number, bytesPast: number | undefined): never {
    const parent = this.path.length ? this.here() : 'the file';
    const past = bytesPast === undefined ? 'is cut off by' : `runs ${bytesPast.toLocaleString('en-US')} byte${bytesPast === 1 ? '' : 's'} past`;
    return this.fail(at, `${this.name(field)} ${past} the end of ${parent}`, true);
  }

  private fail(at: number, what: string, onnxRejectsToo: boolean): never {
    const also = onnxRejectsToo ? '; onnx and onnxruntime reject this file too' : '';
    throw new SubcloneError('BadModel', `${this.file} is corrupt: ${what} (at byte ${at.toLocaleString('en-US')})${also}`);
  }

  /** The path of the message being walked (graph.node[3]), or "the model" at the top. */
  private here(): string {
    return this.path.length ? this.path.map(label).join('.') : 'the model';
  }

  /** The path of a field of the message being walked. */
  private name(field: WireField): string {
    if (!field.rule) return `field ${field.number} of ${this.here()}`;
    return [...this.path, field].map(label).join('.');
  }
}

function label(f: WireField): string {
  if (!f.rule) return `field ${f.number}`;
  return f.index >= 0 ? `${f.rule.name}[${f.index}]` : f.rule.name;
}
