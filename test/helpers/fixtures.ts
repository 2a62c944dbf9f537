import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { fixturesDir, repoRoot, sharedFixtures } from './paths';
import { readRefs, type RefTensor } from './refs';
import type { Feeds } from './ort';

/** What scripts/fixtures wrote about a fixture (the parts tests read). */
export interface Truth {
  id: string;
  family: string | null;
  variant: string | null;
  dims: Record<string, unknown> | null;
  flavour?: Record<string, unknown>;
  runs?: boolean;
  tolerance?: number;
  tensors?: { embed?: string; blockInputs?: (string | null)[]; blockOutputs?: (string | null)[]; mlpHidden?: (string | null)[] } | null;
  paramMap?: Record<string, { initializer: string; transposed: boolean }[]>;
  model?: string;
  loss?: Record<string, unknown>;
  skips?: unknown;
}

export interface Fixture {
  id: string;
  /** Folder holding truth.json and refs. */
  dir: string;
  model: string;
  truth: Truth;
  refs(): Map<string, RefTensor>;
  /** The saved inputs, ready for onnxruntime. */
  feeds(): Feeds;
}

function load(dir: string, id: string, model: string): Fixture {
  const truth = JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8')) as Truth;
  let refs: Map<string, RefTensor> | undefined;
  const getRefs = () => (refs ??= readRefs(dir));
  return {
    id,
    dir,
    model,
    truth,
    refs: getRefs,
    feeds: () => {
      const feeds: Feeds = {};
      for (const [key, t] of getRefs()) {
        if (key.startsWith('input:')) feeds[key.slice(6)] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.shape);
      }
      return feeds;
    },
  };
}

/** The repo's own fixtures (test/fixtures/models/<id>). */
export function repoFixtures(filter: (f: Fixture) => boolean = () => true): Fixture[] {
  const root = path.join(fixturesDir, 'models');
  return fs
    .readdirSync(root)
    .filter((id) => fs.existsSync(path.join(root, id, 'truth.json')))
    .sort()
    .map((id) => load(path.join(root, id), id, path.join(root, id, 'model.onnx')))
    .filter(filter);
}

/** Fixtures over the shared exports (test/fixtures/shared-refs), when ../shared/fixtures is present. */
export function sharedRefFixtures(): Fixture[] {
  if (!sharedFixtures()) return [];
  const root = path.join(fixturesDir, 'shared-refs');
  return fs
    .readdirSync(root)
    .sort()
    .map((id) => {
      const dir = path.join(root, id);
      const truth = JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8')) as Truth;
      return load(dir, `shared/${id}`, path.resolve(repoRoot, truth.model!));
    })
    .filter((f) => fs.existsSync(f.model));
}

/** Transformer fixtures (repo and shared) that run in onnxruntime. */
export function runnableTransformers(): Fixture[] {
  return [...repoFixtures((f) => f.truth.family !== null), ...sharedRefFixtures()].filter((f) => f.truth.runs !== false);
}
