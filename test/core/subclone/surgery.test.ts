import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { writeModel } from '../../../src/core/onnx/writeModel';
import { Graph } from '../../../src/core/graph/graph';
import { UNSET } from '../../../src/core/onnx/proto';
import { elementSize } from '../../../src/core/onnx/dataType';
import { tensorDims } from '../../../src/core/onnx/tensorValues';
import { float16ToFloat32 } from '../../../src/core/onnx/float16';
import { syntheticFeeds } from '../../../src/core/graph/probe';
import { ownInitializer } from '../../../src/core/coupling/storedTensors';
import { axisPositions } from '../../../src/core/coupling/axisPositions';
import { analyzeModel } from '../../../src/core/recognize/recognize';
import type { TransformerMap } from '../../../src/core/recognize/transformerMap';
import { buildChild } from '../../../src/core/subclone/surgery';
import { keepAll } from '../../../src/core/subclone/widthSelection';
import type { KeptUnits } from '../../../src/core/subclone/sliceTensors';
import { runnableTransformers, type Fixture } from '../../helpers/fixtures';
import { bitIdentical, type Feeds } from '../../helpers/ort';
import { tempDir } from '../../helpers/paths';

async function run(file: string, feeds: Feeds): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  try {
    const usable = Object.fromEntries(Object.entries(feeds).filter(([k]) => s.inputNames.includes(k)));
    return await s.run(usable);
  } finally {
    await s.release();
  }
}

function floats(t: ort.Tensor | { data: Float32Array; type?: string }): Float32Array {
  return 'type' in t && t.type === 'float16' ? float16ToFloat32(t.data as unknown as Uint16Array) : (t.data as Float32Array);
}

function maxRelDiff(a: ort.Tensor, b: ort.Tensor | { data: Float32Array }): number {
  const x = floats(a);
  const y = floats(b);
  assert.equal(x.length, y.length);
  let scale = 1;
  for (const v of y) scale = Math.max(scale, Math.abs(v));
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]) / scale);
  return m;
}

/**
 * Every third unit dropped from each FFN and one head (or KV group) from each attention, D untouched. Heads stay
 * when the graph ties their width to D (a nanoGPT-style view(B, T, C)).
 */
function dropSome(map: TransformerMap): KeptUnits {
  const keep: Record<string, number[]> = { ...keepAll(map) } as Record<string, number[]>;
  for (const g of map.groups) {
    if (g.kind === 'ffn') keep[g.id] = keep[g.id].filter((u) => u % 3 !== 1);
    if (map.constraints.length === 0 && (g.kind === 'heads' && !map.groups.some((x) => x.id === `KV${g.block}`)) || g.kind === 'kvGroups') {
      if (g.size > 1) keep[g.id] = keep[g.id].filter((u) => u !== g.size - 1);
    }
  }
  return keep;
}

/** The parent with the dropped units' output rows zeroed: down-projection rows for FFN units, O rows for heads. */
function zeroedParent(fx: Fixture, map: TransformerMap, keep: KeptUnits, file: string): void {
  const model = OnnxModel.load(fx.model);
  const graph = new Graph(model);
  for (const b of map.blocks) {
    const targets: [string, number, string][] = [[b.mlp.down.weight, b.mlp.down.inAxis, `F${b.index}`], [b.attention.o.weight, b.attention.o.inAxis, `H${b.index}`], [b.attention.o.weight, b.attention.o.inAxis, `KV${b.index}`]];
    for (const [weight, axis, groupId] of targets) {
      const group = map.groups.find((g) => g.id === groupId);
      if (!group || keep[groupId].length === group.size) continue;
      const member = group.members.find((m) => m.tensor === weight && m.axis === axis)!;
      const dropped = new Set(Array.from({ length: group.size }, (_, i) => i).filter((u) => !keep[groupId].includes(u)));
      const droppedPositions = new Set(axisPositions(member.expr, (g) => (g === groupId ? [...dropped] : Array.from({ length: map.groups.find((x) => x.id === g)!.size }, (_, i) => i))));
      const t = ownInitializer(graph, weight);
      const dims = tensorDims(t);
      const bytes = Uint8Array.from(model.tensorBytes(t));
      const size = elementSize(t.dataType);
      const inner = dims.slice(axis + 1).reduce((a, c) => a * c, 1) * size;
      const outer = dims.slice(0, axis).reduce((a, c) => a * c, 1);
      for (let o = 0; o < outer; o++) for (const p of droppedPositions) bytes.fill(0, (o * dims[axis] + p) * inner, (o * dims[axis] + p + 1) * inner);
      graph.replaceInitializer({ ...t, rawData: bytes, dataLocation: UNSET, externalData: [] });
    }
  }
  graph.toposort();
  writeModel(model, file);
}

describe('subcloning surgery on every family', function () {
  this.timeout(300_000);
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());
  const out = (name: string) => path.join(dir, `${name}-${Math.random().toString(36).slice(2)}.onnx`);

  for (const fx of runnableTransformers()) {
    describe(fx.id, () => {
      let map: TransformerMap;
      let parent: OnnxModel;
      before(async () => {
        parent = OnnxModel.load(fx.model);
        map = (await analyzeModel(parent)).map;
      });

      it('the identity shape gives the parent\'s outputs exactly', async () => {
        const child = buildChild(parent, map, { blocks: map.blocks.map((b) => b.index), keep: keepAll(map) });
        const file = out('identity');
        writeModel(child.model, file);
        const [a, b] = [await run(fx.model, fx.feeds()), await run(file, fx.feeds())];
        for (const name of Object.keys(a)) assert.ok(bitIdentical(a[name], b[name]), name);
      });

      it('dropping FFN units and heads only equals the parent with their output rows zeroed', async function () {
        if (map.flavour.kvCache) this.skip(); // the saved cache holds every head; covered by the half-width runs below
        const keep = dropSome(map);
        const child = buildChild(parent, map, { blocks: map.blocks.map((b) => b.index), keep }, { scale: false });
        const childFile = out('dropped');
        const refFile = out('zeroed');
        writeModel(child.model, childFile);
        zeroedParent(fx, map, keep, refFile);
        const [a, b] = [await run(refFile, fx.feeds()), await run(childFile, fx.feeds())];
        const tol = fx.truth.tolerance && fx.truth.tolerance > 1e-3 ? 5e-3 : 1e-5;
        for (const name of Object.keys(a)) assert.ok(maxRelDiff(b[name], a[name]) <= tol, `${name}: ${maxRelDiff(b[name], a[name])}`);
      });

      it('removing blocks equals PyTorch with those blocks skipped', async function () {
        const skips = [...fx.refs().keys()].filter((k) => k.startsWith('skip:'));
        if (!skips.length) this.skip();
        for (const key of skips) {
          const [, list, output] = key.split(':');
          const skipped = new Set(list.split(',').map(Number));
          const blocks = map.blocks.map((b) => b.index).filter((b) => !skipped.has(b));
          const child = buildChild(parent, map, { blocks, keep: keepAll(map) }, { scale: false });
          const file = out('skip');
          writeModel(child.model, file);
          const got = (await run(file, fx.feeds()))[output];
          const ref = fx.refs().get(key)!;
          const tol = fx.truth.tolerance && fx.truth.tolerance > 1e-3 ? 2e-2 : 1e-4;
          assert.ok(maxRelDiff(got, { data: ref.data as Float32Array }) <= tol, `${key}: ${maxRelDiff(got, { data: ref.data as Float32Array })}`);
        }
      });

      for (const [label, frac] of [['half depth and half width', 0.5], ['odd shapes', 0.7]] as const) {
        it(`${label}: loads and runs with the right output shapes and unchanged I/O names`, async () => {
          const layers = Math.max(1, Math.round(map.dims.layers * frac));
          const blocks = Array.from({ length: layers }, (_, i) => i);
          const keep: Record<string, number[]> = {};
          const sizeOf = (n: number) => Math.max(1, Math.round(n * frac) - (label === 'odd shapes' ? 1 : 0));
          for (const g of map.groups) {
            const isKv = g.kind === 'kvGroups';
            const perGroupHeads = g.kind === 'heads' && map.groups.some((x) => x.id === `KV${g.block}`);
            const n = isKv || perGroupHeads ? (isKv ? Math.max(1, Math.round(g.size / 2)) : g.size) : sizeOf(g.size);
            keep[g.id] = Array.from({ length: g.size }, (_, i) => i).filter((_, i) => i % Math.ceil(g.size / n) === 0).slice(0, n);
          }
          const child = buildChild(parent, map, { blocks, keep });
          const file = out('small');
          writeModel(child.model, file);
          const small = OnnxModel.load(file);
          const feeds = syntheticFeeds(small, { batch: 2, sequence: 5, past: 3 });
          const outputs = await run(file, feeds);
          const parentOutputs = map.outputs.map((o) => o.name);
          const childInputs = new Graph(small).realInputs.map((v) => v.name);
          for (const name of Object.keys(outputs)) assert.ok(parentOutputs.includes(name), `output ${name} is one of the parent's`);
          for (const name of childInputs) assert.ok(map.inputs.some((v) => v.name === name), `input ${name} is one of the parent's`);
          const d = keep.D.length;
          for (const o of map.outputs) {
            const got = outputs[o.name];
            if (!got) continue;
            const declared = o.shape ?? [];
            got.dims.forEach((dim, i) => {
              const want = declared[i];
              if (typeof want === 'number' && map.groups.every((g) => !g.io.some((m) => m.tensor === o.name && m.axis === i))) assert.equal(dim, want, `${o.name} axis ${i}`);
            });
            if (map.final.hidden === o.name) assert.equal(got.dims[got.dims.length - 1], d);
          }
        });
      }
    });
  }
});
