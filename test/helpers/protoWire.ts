/**
 * Hand-built protobuf wire bytes, for models no exporter would write (bad wire types, cut varints, groups). Fields
 * are number arrays so cases read as the bytes they are.
 */
export type Bytes = number[];

export function varint(n: number): Bytes {
  const out: Bytes = [];
  while (n >= 128) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

export function tag(field: number, wireType: number): Bytes {
  return varint(field * 8 + wireType);
}

export function varintField(field: number, value: number): Bytes {
  return [...tag(field, 0), ...varint(value)];
}

export function delimited(field: number, payload: Bytes): Bytes {
  return [...tag(field, 2), ...varint(payload.length), ...payload];
}

export function stringField(field: number, s: string): Bytes {
  return delimited(field, [...Buffer.from(s, 'utf8')]);
}

/** ValueInfoProto of a float tensor of rank 1 with a fixed dim. */
function valueInfo(name: string): Bytes {
  const dim = delimited(1, varintField(1, 3));
  const tensorType = [...varintField(1, 1), ...delimited(2, dim)];
  return [...stringField(1, name), ...delimited(2, delimited(1, tensorType))];
}

/**
 * A valid one-node model (y = Relu(x), opset 17) whose node ends with `nodeTail` and whose graph holds `graphTail`
 * after its node: put the bytes under test there.
 */
export function tinyModel(nodeTail: Bytes = [], graphTail: Bytes = []): Uint8Array {
  const node = [...stringField(1, 'x'), ...stringField(2, 'y'), ...stringField(3, 'relu'), ...stringField(4, 'Relu'), ...nodeTail];
  const graph = [...delimited(1, node), ...stringField(2, 'g'), ...graphTail, ...delimited(11, valueInfo('x')), ...delimited(12, valueInfo('y'))];
  const opset = [...stringField(1, ''), ...varintField(2, 17)];
  return Uint8Array.from([...varintField(1, 8), ...delimited(7, graph), ...delimited(8, opset)]);
}
