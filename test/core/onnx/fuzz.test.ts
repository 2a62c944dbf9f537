import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { externalRef, isExternal } from '../../../src/core/onnx/externalData';
import { OnnxModel } from '../../../src/core/onnx/onnxModel';
import { ModelProtoSchema, type TensorProto } from '../../../src/core/onnx/proto';
import { Rng } from '../../../src/core/random/rng';
import { InspectRunner, type InspectOutcome } from '../../helpers/inspectRunner';
import { MUTATION_KINDS, applyMutation, describeMutation, drawMutation, type Mutation, type MutationKind, type Targets } from '../../helpers/mutate';
import { fixtureIds, fixturePath, tempDir } from '../../helpers/paths';

/**
 * Seeded mutants of every fixture model (and of its external data) go through `subclone inspect`'s read path. Each
 * must be read, or found not to be a supported transformer, or be rejected with BadModel/MissingData (exit 3) or
 * Unsupported (exit 2) in a one-line message naming the model file (and the data file when that is cut short):
 * never an internal error, a crash or a hang.
 */
const SEED = 12;
/** Per fixture model. Cuts, deletions and duplications nearly always break the framing (BadModel at the wire check); bit flips and overwrites reach recognition. */
const MODEL_MUTANTS: Record<MutationKind, number> = { truncate: 6, delete: 6, duplicate: 6, 'bit-flip': 40, overwrite: 30 };
const DATA_MUTANTS_PER_KIND = 8;
const TIME_LIMIT_MS = 30_000;
const REJECTIONS = new Set(['BadModel', 'MissingData', 'Unsupported']);

interface Subject {
  /** The file mutated: the model or its external data. */
  name: string;
  targets: Targets;
  /** For a data file: the end of the last byte range the model reads from it. */
  usedUpTo?: number;
}

function problemWith(outcome: InspectOutcome, modelFile: string): string | undefined {
  switch (outcome.kind) {
    case 'read':
      return undefined;
    case 'unsupported':
      // Printed after the summary, which names the file.
      return /[\n\r]/.test(outcome.message) ? `the message spans lines: ${JSON.stringify(outcome.message)}` : undefined;
    case 'rejected':
      if (!REJECTIONS.has(outcome.code)) return `rejected as ${outcome.code}, not BadModel/MissingData/Unsupported: ${outcome.message}`;
      if (!outcome.message.includes(modelFile)) return `the message does not name the file: ${outcome.message}`;
      if (/[\n\r]/.test(outcome.message)) return `the message spans lines: ${JSON.stringify(outcome.message)}`;
      return undefined;
    default:
      return `${outcome.kind}: ${outcome.message}`;
  }
}

function outcomeLabel(o: InspectOutcome): string {
  switch (o.kind) {
    case 'read':
      return 'read ok';
    case 'unsupported':
      return 'read, not a supported transformer';
    case 'rejected':
      return o.code;
    default:
      return o.kind;
  }
}

/** Byte offsets of a model outside its weights' raw_data, where mutations change structure rather than values. */
function structuralOffsets(bytes: Uint8Array): Uint32Array {
  const graph = fromBinary(ModelProtoSchema, bytes).graph!;
  const tensors: TensorProto[] = [...graph.initializer];
  for (const node of graph.node) for (const a of node.attribute) if (a.t) tensors.push(a.t);
  const payload = new Uint8Array(bytes.length);
  for (const t of tensors) {
    const start = t.rawData.byteOffset - bytes.byteOffset;
    if (t.rawData.length) payload.fill(1, start, start + t.rawData.length);
  }
  const offsets: number[] = [];
  payload.forEach((inPayload, i) => {
    if (!inPayload) offsets.push(i);
  });
  return Uint32Array.from(offsets);
}

/** The external data files a fixture folder holds beside its model. */
function dataFilesOf(fixture: string): string[] {
  return fs.readdirSync(path.dirname(fixturePath(fixture))).filter((f) => f.endsWith('.data'));
}

function subjectsOf(fixture: string): Subject[] {
  const bytes = fs.readFileSync(fixturePath(fixture));
  const model = OnnxModel.fromBytes(bytes, path.dirname(fixturePath(fixture)));
  const refs = model.graph.initializer.filter(isExternal).map((t) => externalRef(t, model.baseDir));
  const usedUpTo = (name: string) => Math.max(...refs.filter((r) => r.location === name).map((r) => r.offset + (r.length ?? 0)));
  model.close();
  return [
    { name: 'model.onnx', targets: { size: bytes.length, structural: structuralOffsets(bytes) } },
    ...dataFilesOf(fixture).map((name) => ({ name, targets: { size: fs.statSync(fixturePath(fixture, name)).size }, usedUpTo: usedUpTo(name) })),
  ];
}

/** Outcome counts in all, per mutation kind of the models, and for the external data files. */
class Tally {
  private readonly groups = new Map<string, Map<string, number>>();
  private readonly total = new Map<string, number>();
  mutants = 0;

  add(group: MutationKind | 'external data', label: string): void {
    this.mutants++;
    this.total.set(label, (this.total.get(label) ?? 0) + 1);
    const g = this.groups.get(group) ?? new Map<string, number>();
    g.set(label, (g.get(label) ?? 0) + 1);
    this.groups.set(group, g);
  }

  summary(seconds: number): string {
    const list = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([label, n]) => `${label} ${n}`).join(', ');
    const groups = [...MUTATION_KINDS, 'external data'].filter((g) => this.groups.has(g)).map((g) => `${g}: ${list(this.groups.get(g)!)}`);
    return `fuzz (seed ${SEED}): ${this.mutants} mutants in ${seconds.toFixed(1)} s — ${list(this.total)} | ${groups.join('; ')}`;
  }
}

describe('fuzzed models and external data', function () {
  this.timeout(600_000);
  const runner = new InspectRunner(TIME_LIMIT_MS);
  const tally = new Tally();
  let dir: string;
  let cleanup: () => void;
  let started = 0;
  before(() => {
    ({ dir, cleanup } = tempDir('subclone-fuzz-'));
    started = performance.now();
  });
  after(() => {
    console.log(`      ${tally.summary((performance.now() - started) / 1000)}`);
    runner.close();
    cleanup();
  });

  it('the runner answers "hung" for a file that outlives its limit, and carries on with the next', async () => {
    assert.equal((await runner.inspect(fixturePath('gpt2-op17'), 1)).kind, 'hung');
    assert.equal((await runner.inspect(fixturePath('gpt2-op17'))).kind, 'read');
  });

  for (const fixture of fixtureIds()) {
    it(`${fixture}: every mutant is read or rejected clearly`, async () => {
      const folder = path.join(dir, fixture);
      fs.mkdirSync(folder);
      const modelFile = path.join(folder, 'model.onnx');
      const dataFiles = dataFilesOf(fixture);
      const intact = new Map(['model.onnx', ...dataFiles].map((name) => [name, fs.readFileSync(fixturePath(fixture, name))]));
      for (const [name, bytes] of intact) fs.writeFileSync(path.join(folder, name), bytes);
      const problems: string[] = [];
      for (const subject of subjectsOf(fixture)) {
        const isData = subject.name !== 'model.onnx';
        for (const kind of MUTATION_KINDS) {
          const rng = new Rng(SEED, `${fixture}/${subject.name}/${kind}`);
          for (let i = 0; i < (isData ? DATA_MUTANTS_PER_KIND : MODEL_MUTANTS[kind]); i++) {
            const mutation = drawMutation(kind, subject.targets, rng);
            const target = path.join(folder, subject.name);
            fs.writeFileSync(target, applyMutation(intact.get(subject.name)!, mutation, rng));
            const outcome = await runner.inspect(modelFile);
            fs.writeFileSync(target, intact.get(subject.name)!);
            tally.add(isData ? 'external data' : kind, outcomeLabel(outcome));
            const problem = problemWith(outcome, modelFile) ?? dataProblem(subject, mutation, outcome);
            if (problem) problems.push(`${subject.name}, ${describeMutation(mutation)}: ${problem}`);
          }
        }
      }
      assert.deepEqual(problems, []);
    });
  }
});

/** External data cut short of what the model reads must be refused as missing data, naming the data file. */
function dataProblem(subject: Subject, m: Mutation, outcome: InspectOutcome): string | undefined {
  if (subject.usedUpTo === undefined || m.kind !== 'truncate' || m.at >= subject.usedUpTo) return undefined;
  if (outcome.kind === 'rejected' && outcome.code === 'MissingData' && outcome.message.includes(subject.name)) return undefined;
  return `truncated external data was not refused as missing data naming ${subject.name}: ${outcomeLabel(outcome)}`;
}
