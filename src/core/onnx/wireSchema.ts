import { ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';

/** Protobuf wire types (groups, 3 and 4, are deprecated and never used by ONNX). */
export const WireType = {
  Varint: 0,
  Fixed64: 1,
  Delimited: 2,
  StartGroup: 3,
  EndGroup: 4,
  Fixed32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** What the schema says about one field number of a message, as far as the wire format is concerned. */
export interface FieldRule {
  /** The field's name in the .proto file (raw_data, initializer, …), for messages. */
  name: string;
  repeated: boolean;
  /** The wire type of one value of the field. */
  wireType: WireType;
  /** A repeated number field may also come packed: one length-delimited record of values of `wireType`. */
  packable: boolean;
  /** The nested message type, for message fields. */
  message: DescMessage | undefined;
}

const cache = new Map<DescMessage, ReadonlyMap<number, FieldRule>>();

/** The field rules of a message type, by field number, read off the compiled ONNX schema. */
export function fieldRules(desc: DescMessage): ReadonlyMap<number, FieldRule> {
  let rules = cache.get(desc);
  if (!rules) {
    rules = new Map(desc.fields.map((f) => [f.number, ruleOf(f)]));
    cache.set(desc, rules);
  }
  return rules;
}

function ruleOf(f: DescField): FieldRule {
  const rule = { name: f.name, repeated: false, packable: false, message: undefined };
  switch (f.fieldKind) {
    case 'scalar':
      return { ...rule, wireType: scalarWireType(f.scalar) };
    case 'enum':
      return { ...rule, wireType: WireType.Varint };
    case 'message':
      return { ...rule, wireType: WireType.Delimited, message: f.message };
    case 'map':
      return { ...rule, repeated: true, wireType: WireType.Delimited };
    case 'list':
      switch (f.listKind) {
        case 'message':
          return { ...rule, repeated: true, wireType: WireType.Delimited, message: f.message };
        case 'enum':
          return { ...rule, repeated: true, wireType: WireType.Varint, packable: true };
        case 'scalar': {
          const wireType = scalarWireType(f.scalar);
          return { ...rule, repeated: true, wireType, packable: wireType !== WireType.Delimited };
        }
      }
  }
}

function scalarWireType(t: ScalarType): WireType {
  switch (t) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Fixed64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.Fixed32;
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.Delimited;
    case ScalarType.INT32:
    case ScalarType.INT64:
    case ScalarType.UINT32:
    case ScalarType.UINT64:
    case ScalarType.SINT32:
    case ScalarType.SINT64:
    case ScalarType.BOOL:
      return WireType.Varint;
  }
}
