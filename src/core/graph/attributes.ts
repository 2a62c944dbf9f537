import { SubcloneError } from '../errors';
import { quote } from '../quote';
import { AttributeType, type AttributeProto, type NodeProto, type TensorProto } from '../onnx/proto';

/** Typed reads of node attributes, with defaults. */
export function findAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number;
export function attrInt(node: NodeProto, name: string): number | undefined;
export function attrInt(node: NodeProto, name: string, fallback?: number): number | undefined {
  const a = findAttribute(node, name);
  return a ? Number(a.i) : fallback;
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number;
export function attrFloat(node: NodeProto, name: string): number | undefined;
export function attrFloat(node: NodeProto, name: string, fallback?: number): number | undefined {
  const a = findAttribute(node, name);
  return a ? a.f : fallback;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = findAttribute(node, name);
  return a ? a.ints.map(Number) : undefined;
}

export function attrFloats(node: NodeProto, name: string): number[] | undefined {
  const a = findAttribute(node, name);
  return a ? [...a.floats] : undefined;
}

export function attrString(node: NodeProto, name: string): string | undefined {
  const a = findAttribute(node, name);
  return a ? new TextDecoder().decode(a.s) : undefined;
}

export function attrTensor(node: NodeProto, name: string): TensorProto | undefined {
  return findAttribute(node, name)?.t;
}

export function requireAttr<T>(node: NodeProto, name: string, value: T | undefined): T {
  if (value === undefined) {
    throw new SubcloneError('BadModel', `node ${nodeLabel(node)} lacks its required attribute "${name}"`);
  }
  return value;
}

export function isAttributeType(a: AttributeProto, type: AttributeType): boolean {
  return a.type === type;
}

/** A readable name for a node in messages: its quoted name and op type, or its op type and first output. */
export function nodeLabel(node: NodeProto): string {
  const op = opLabel(node);
  return node.name ? `${quote(node.name)} (${op})` : `${op} → ${node.output[0] === undefined ? '?' : quote(node.output[0])}`;
}

/** A node's op type (with its domain when not the default) as messages show it; quoted when not a plain word. */
export function opLabel(node: NodeProto): string {
  const op = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.opType}` : node.opType;
  return /^[\w.-]+$/.test(op) ? op : quote(op);
}
