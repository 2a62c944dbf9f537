import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTask, type BenchRow, type Measured } from './harness';
import type { BenchContext } from './run';

const GiB = 2 ** 30;

/**
 * Calibration on a 2 GiB text (the example's Bible repeated, generated in bench/.data on first use) next to the
 * same run on the 4 MB original, with the byte-level tokenizer (only the windows used are read) and with one that
 * merges (a text of 64 MiB or more is tokenized only in the windows sampled): memory must not grow with the file.
 * Target: peak RSS within 50 MiB of the small file's.
 */
export async function rows(ctx: BenchContext): Promise<BenchRow[]> {
  const example = path.join(__dirname, '..', 'examples', 'kjv-gpt2');
  const model = path.join(example, 'model.onnx');
  const small = path.join(example, 'kjv.txt');
  const big = path.join(ctx.dataDir, 'kjv-2GiB.txt');
  if (!fs.existsSync(big) || fs.statSync(big).size < 2 * GiB) writeRepeated(small, big, 2 * GiB);
  const base = await runTask<number>('importanceFile', [model, small, '64', '128']);
  const large = await runTask<number>('importanceFile', [model, big, '64', '128']);
  const merging = mergingTokenizerModel(ctx, model);
  const tokenizedSmall = await runTask<number>('importanceFile', [merging, small, '64', '128']);
  const tokenizedLarge = await runTask<number>('importanceFile', [merging, big, '64', '128']);
  return [
    ...smallAndLarge('importance on kjv-gpt2', base, large, 'windows read by range'),
    ...smallAndLarge('same with a tokenizer that merges (BPE)', tokenizedSmall, tokenizedLarge, 'only the sampled windows tokenized', 'the whole text tokenized'),
  ];

  /** The 4 MiB run, then the 2 GiB run against it. */
  function smallAndLarge(what: string, s: Measured<number>, l: Measured<number>, largeNote: string, smallNote?: string): BenchRow[] {
    return [
      { group: 'data', what: `${what}, ${(fs.statSync(small).size / 2 ** 20).toFixed(1)} MiB text`, seconds: s.seconds, peakRssMiB: s.peakRssMiB, note: `${s.value} tokens${smallNote ? `; ${smallNote}` : ''}` },
      {
        group: 'data',
        what: `${what}, 2 GiB text`,
        seconds: l.seconds,
        peakRssMiB: l.peakRssMiB,
        baseline: '4 MiB text',
        ratio: l.peakRssMiB / s.peakRssMiB,
        target: `RSS ≤ small text + 50 MiB (${(l.peakRssMiB - s.peakRssMiB).toFixed(0)} MiB more)`,
        note: `${l.value} tokens; ${largeNote}`,
      },
    ];
  }
}

/**
 * The example model beside a tokenizer.json that is no byte table: "th" merged into the id of byte 0x01 (which the
 * Bible never holds), so the real BPE encoder runs and every id stays inside the model's 256.
 */
function mergingTokenizerModel(ctx: BenchContext, model: string): string {
  const dir = path.join(ctx.dataDir, 'kjv-merging');
  fs.mkdirSync(dir, { recursive: true });
  const json = JSON.parse(fs.readFileSync(path.join(path.dirname(model), 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number>; merges: string[] } };
  const rare = Object.keys(json.model.vocab).find((k) => json.model.vocab[k] === 1)!;
  delete json.model.vocab[rare];
  json.model.vocab.th = 1;
  json.model.merges = ['t h'];
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
  fs.copyFileSync(model, path.join(dir, 'model.onnx'));
  return path.join(dir, 'model.onnx');
}

function writeRepeated(source: string, target: string, bytes: number): void {
  const chunk = fs.readFileSync(source);
  const fd = fs.openSync(`${target}.tmp`, 'w');
  try {
    for (let done = 0; done < bytes; done += chunk.length) fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(`${target}.tmp`, target);
}
