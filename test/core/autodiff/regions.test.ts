import * as assert from 'node:assert/strict';
import { findRegions } from '../../../src/core/autodiff/elementwiseRegion';
import { DataType } from '../../../src/core/onnx/dataType';
import { node } from './gradCheck';

/** Which elementwise chains are differentiated as one region (their gradients are checked in rules.test.ts). */
describe('autodiff: single-entry elementwise regions', () => {
  const scalars = new Map([['c1', 0.044715], ['c2', 0.79788], ['one', 1], ['half', 0.5]]);
  const look = (uses: Record<string, number>) => ({
    info: (v: string) => (scalars.has(v) ? { dims: [], elem: DataType.FLOAT } : { dims: [2, 5], elem: DataType.FLOAT }),
    scalar: (v: string) => scalars.get(v),
    uses: (v: string) => uses[v] ?? 1,
  });
  const gelu = [
    node('Mul', ['x', 'x'], ['m']), node('Mul', ['x', 'm'], ['m1']), node('Mul', ['c1', 'm1'], ['m2']), node('Add', ['x', 'm2'], ['a']),
    node('Mul', ['c2', 'a'], ['m3']), node('Tanh', ['m3'], ['t']), node('Add', ['one', 't'], ['a1']), node('Mul', ['x', 'a1'], ['m4']),
    node('Mul', ['half', 'm4'], ['y']),
  ];
  const all = new Set(['x', 'm', 'm1', 'm2', 'a', 'm3', 't', 'a1', 'm4', 'y']);

  it('takes the whole of a GELU written out (entry x, exit y)', () => {
    const regions = findRegions(gelu, all, look({ x: 5 }));
    assert.equal(regions.size, 1);
    const [r] = regions.values();
    assert.equal(r.entry, 'x');
    assert.equal(r.exit.output[0], 'y');
    assert.equal(r.nodes.length, 9);
  });

  it('stops at a value read outside the chain', () => {
    const regions = findRegions(gelu, all, look({ x: 5, t: 2 }));
    const exits = [...regions.values()].map((r) => r.exit.output[0]);
    assert.deepEqual(exits, ['t'], 'after t the chain has two varying inputs (x and t): per-op rules');
    const [r] = regions.values();
    assert.equal(r.entry, 'x');
    assert.equal(r.nodes.length, 6);
  });

  it('leaves chains with two varying inputs to the per-op rules', () => {
    const silu = [node('Sigmoid', ['x'], ['s']), node('Mul', ['x', 's'], ['a']), node('Mul', ['a', 'u'], ['y'])];
    const regions = findRegions(silu, new Set(['x', 's', 'a', 'u', 'y']), look({ x: 2 }));
    assert.equal([...regions.values()].filter((r) => r.exit.output[0] === 'y').length, 0);
  });
});
