import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { writeModel } from '../../../src/core/onnx/writeModel';
import { elementSize } from '../../../src/core/onnx/dataType';
import { float16ToFloat32 } from '../../../src/core/onnx/float16';
import { tensorDims } from '../../../src/core/onnx/tensorValues';
import { Graph } from '../../../src/core/graph/graph';
import { ownInitializer } from '../../../src/core/coupling/storedTensors';
import { UNSET } from '../../../src/core/onnx/proto';
import { recognize } from '../../../src/core/recognize/recognize';
import { axisPositions, gatherAxis } from '../../../src/core/coupling/axisPositions';
import type { AxisMember, TransformerMap } from '../../../src/core/recognize/transformerMap';
import { runnableTransformers, type Fixture } from '../../helpers/fixtures';
import { tempDir } from '../../helpers/paths';
import type { Feeds } from '../../helpers/ort';

/** A seeded random permutation (mulberry32). */
function permutation(n: number, seed: number): number[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

function uniqueMembers(map: TransformerMap, groups: Set<string>, kind: 'members' | 'io'): AxisMember[] {
  const seen = new Map<string, AxisMember>();
  for (const g of map.groups) if (groups.has(g.id)) for (const m of g[kind]) seen.set(`${m.tensor}@${m.axis}`, m);
  return [...seen.values()];
}

function tensorBytes(t: ort.Tensor): Uint8Array {
  const d = t.data as ArrayBufferView;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function toTensor(like: ort.Tensor, bytes: Uint8Array): ort.Tensor {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const ctor = (like.data as unknown as { constructor: new (b: ArrayBuffer) => ArrayBufferView }).constructor;
  return new ort.Tensor(like.type as 'float32', new ctor(copy.buffer) as Float32Array, like.dims);
}

/** Runs the model with the chosen groups' units permuted in every member; outputs are mapped back for comparison. */
async function runPermuted(fx: Fixture, map: TransformerMap, perms: Map<string, number[]>, dir: string, skip?: string): Promise<Record<string, ort.Tensor>> {
  const model = OnnxModel.load(fx.model);
  const graph = new Graph(model);
  const choose = (g: string) => perms.get(g) ?? Array.from({ length: map.groups.find((x) => x.id === g)!.size }, (_, i) => i);
  const groups = new Set(perms.keys());
  for (const m of uniqueMembers(map, groups, 'members')) {
    if (`${m.tensor}@${m.axis}` === skip) continue;
    const positions = axisPositions(m.expr, choose);
    const t = ownInitializer(graph, m.tensor);
    const permuted = gatherAxis(model.tensorBytes(t), tensorDims(t), elementSize(t.dataType), m.axis, positions);
    graph.replaceInitializer({ ...t, rawData: permuted as Uint8Array<ArrayBuffer>, dataLocation: UNSET, externalData: [] });
  }
  graph.toposort();
  const file = path.join(dir, `permuted-${Math.random().toString(36).slice(2)}.onnx`);
  writeModel(model, file);
  const feeds: Feeds = fx.feeds();
  for (const m of uniqueMembers(map, groups, 'io')) {
    const feed = feeds[m.tensor];
    if (feed) feeds[m.tensor] = toTensor(feed, gatherAxis(tensorBytes(feed), feed.dims, tensorBytes(feed).length / feed.size, m.axis, axisPositions(m.expr, choose)));
  }
  const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  const out = await session.run(feeds);
  await session.release();
  return out;
}

function expectedOutputs(map: TransformerMap, original: Record<string, ort.Tensor>, perms: Map<string, number[]>): Record<string, ort.Tensor> {
  const choose = (g: string) => perms.get(g) ?? Array.from({ length: map.groups.find((x) => x.id === g)!.size }, (_, i) => i);
  const out = { ...original };
  for (const m of uniqueMembers(map, new Set(perms.keys()), 'io')) {
    const y = out[m.tensor];
    if (!y) continue;
    out[m.tensor] = toTensor(y, gatherAxis(tensorBytes(y), y.dims, tensorBytes(y).length / y.size, m.axis, axisPositions(m.expr, choose)));
  }
  return out;
}

function maxRelativeDiff(a: Record<string, ort.Tensor>, b: Record<string, ort.Tensor>): number {
  let worst = 0;
  for (const name of Object.keys(a)) {
    const x = a[name].data as Float32Array;
    const y = b[name].data as Float32Array;
    if (a[name].type !== 'float32' && a[name].type !== 'float16') continue;
    const xs = a[name].type === 'float16' ? float16ToFloat32(x as unknown as Uint16Array) : x;
    const ys = a[name].type === 'float16' ? float16ToFloat32(y as unknown as Uint16Array) : y;
    let scale = 1;
    for (const v of xs) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(xs[i] - ys[i]) / scale);
  }
  return worst;
}

describe('coupling map: permuting every tensor tied to a dimension leaves the outputs unchanged', function () {
  this.timeout(300_000);
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  for (const fx of runnableTransformers()) {
    it(`${fx.id}`, async () => {
      const model = OnnxModel.load(fx.model);
      const map = await recognize(model);
      const session = await ort.InferenceSession.create(fx.model, { logSeverityLevel: 3 });
      const original = await session.run(fx.feeds());
      await session.release();
      const tolerance = Math.max(1e-5, fx.truth.runs !== false && fx.truth.tolerance && fx.truth.tolerance > 1e-3 ? 2e-3 : 1e-5);
      const block = map.blocks.length - 1;
      const cases: string[][] = [['D'], [`F${block}`], [`H${block}`], [`KV${block}`], map.groups.map((g) => g.id)];
      let seed = 7;
      for (const ids of cases) {
        const present = ids.filter((id) => map.groups.some((g) => g.id === id && g.size > 1));
        if (!present.length) continue;
        const perms = new Map(present.map((id) => [id, permutation(map.groups.find((g) => g.id === id)!.size, seed++)]));
        const got = await runPermuted(fx, map, perms, dir);
        const diff = maxRelativeDiff(expectedOutputs(map, original, perms), got);
        assert.ok(diff <= tolerance, `${ids.join('+')}: outputs moved by ${diff.toExponential(2)} (relative)`);
      }
      // The check is sensitive: leaving out one tensor of D breaks the invariance.
      const d = map.groups.find((g) => g.id === 'D')!;
      const perms = new Map([['D', permutation(d.size, 99)]]);
      const left = d.members[Math.floor(d.members.length / 2)];
      const broken = await runPermuted(fx, map, perms, dir, `${left.tensor}@${left.axis}`);
      assert.ok(maxRelativeDiff(expectedOutputs(map, original, perms), broken) > 10 * tolerance, `missing ${left.tensor} went unnoticed`);
      model.close();
    });
  }
});
