import { dataTypeName } from './dataType';
import type { ValueInfoProto } from './proto';

/** A graph input/output as plain data: name, element type, and dims (a number, a symbolic name, or null). */
export interface ValueSpec {
  name: string;
  dtype: string;
  shape: (number | string | null)[] | null;
}

export function valueSpec(v: ValueInfoProto): ValueSpec {
  const tensorType = v.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
  if (!tensorType) return { name: v.name, dtype: 'unknown', shape: null };
  const shape = tensorType.shape
    ? tensorType.shape.dim.map((d) =>
        d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : null,
      )
    : null;
  return { name: v.name, dtype: dataTypeName(tensorType.elemType), shape };
}

export function formatShape(shape: ValueSpec['shape']): string {
  return shape ? `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '[?]';
}
