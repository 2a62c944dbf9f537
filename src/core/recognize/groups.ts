import { SubcloneError } from '../errors';
import type { Atom } from '../coupling/atoms';
import { AxisAnalysis } from '../coupling/axisAnalysis';
import { findShapeConstants } from '../coupling/shapeConstants';
import { polyGroups } from '../coupling/poly';
import { isStoredTensor } from '../coupling/storedTensors';
import type { FoundBlocks } from './blocks';
import type { RecognizeContext } from './context';
import type { AxisMember, CouplingGroup, ShapeConstraint, TransformerMap } from './transformerMap';

const DESCRIBE: Record<CouplingGroup['kind'], string> = {
  embedding: 'the embedding dimension',
  ffn: 'the FFN width',
  heads: 'the attention heads',
  kvGroups: 'the key/value head groups',
};

/**
 * The dimensions subcloning shrinks (D; per block F, heads and KV groups) with every initializer axis, graph
 * input/output axis and baked constant that carries them. Throws Unsupported when one of them cannot be sliced
 * (an op treats its positions unevenly), naming the op.
 */
export function buildCouplingGroups(ctx: RecognizeContext, map: TransformerMap, found: FoundBlocks): { groups: CouplingGroup[]; constraints: ShapeConstraint[] } {
  const t = ctx.analysis.table;
  const groupOf = new Map<Atom, string>();
  const groups: CouplingGroup[] = [];
  const add = (atom: Atom, id: string, kind: CouplingGroup['kind'], block: number | null) => {
    const r = t.find(atom);
    const where = block === null ? DESCRIBE[kind] : `${DESCRIBE[kind]} of block ${block}`;
    if (r.lock) throw new SubcloneError('Unsupported', `${where} cannot be sliced: ${r.lock}`);
    if (r.def) throw new SubcloneError('Unsupported', `${where} is split into parts somewhere in the graph; it cannot be sliced as a whole`);
    const other = groupOf.get(r);
    if (other) throw new SubcloneError('Unsupported', `${where} is the same axis as group ${other} (shared weights?)`);
    groupOf.set(r, id);
    groups.push({ id, kind, block, size: r.size, members: [], io: [], constants: [] });
  };
  add(ctx.D, 'D', 'embedding', null);
  for (const b of found.blocks) {
    add(b.mlp.down.inClass, `F${b.index}`, 'ffn', b.index);
    const a = b.attention;
    if (a.kvAtom) {
      add(a.kvAtom, `KV${b.index}`, 'kvGroups', b.index);
      add(a.headAtoms[1], `H${b.index}`, 'heads', b.index);
    } else if (a.headAtoms.length === 1) {
      add(a.headAtoms[0], `H${b.index}`, 'heads', b.index);
    }
  }
  const byId = new Map(groups.map((g) => [g.id, g]));
  const collect = (names: string[], into: 'members' | 'io') => {
    for (const name of names) {
      ctx.analysis.axes(name).forEach((atom, axis) => {
        const expr = ctx.analysis.expr(atom, groupOf);
        if (!AxisAnalysis.mentionsGroup(expr)) return;
        const member: AxisMember = { tensor: name, axis, expr };
        for (const id of groupsIn(expr)) byId.get(id)![into].push(member);
      });
    }
  };
  const storedNodes = ctx.graph.nodes.filter((n) => isStoredTensor(ctx.graph, n.output[0]) && n.output[0]).map((n) => n.output[0]);
  collect([...ctx.graph.proto.initializer.map((x) => x.name), ...storedNodes], 'members');
  collect([...map.inputs.map((v) => v.name), ...map.outputs.map((v) => v.name)], 'io');
  const { constants, constraints } = findShapeConstants(ctx.analysis, groupOf);
  for (const c of constants) for (const id of polyGroups(c.value)) byId.get(id)!.constants.push(c);
  return { groups, constraints };
}

function groupsIn(e: AxisMember['expr']): string[] {
  if ('group' in e) return [e.group];
  if ('seq' in e) return [...new Set(e.seq.flatMap(groupsIn))];
  if ('cat' in e) return [...new Set(e.cat.flatMap(groupsIn))];
  return [];
}
