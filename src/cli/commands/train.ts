import { SubcloneError, isSubcloneError } from '../../core/errors';
import { assertWritable, writeFileAtomic } from '../../core/fs/atomicFile';
import { curveCsv } from '../../core/train/curveCsv';
import { formatTrainProgress } from '../../core/train/progressMessage';
import type { CurvePoint } from '../../core/train/trainLoop';
import { trainOnData, type TrainingRequest } from '../../core/train/trainOnData';
import { intOption, numberOption, providerOption, requireModelPath, stringOption } from '../args';
import type { Command, ParsedArgs } from '../command';

const USAGE = [
  'subclone train <model.onnx|hf-folder> --data <text|folder> --steps N [--batch B] [--seq T] [--lr X] [--init random]',
  '    [--eval-every K] [--eval-batches N|all] [--out curve.csv] [--save trained.onnx] [--overwrite]',
  '    [--seed S] [--warmup W] [--min-lr X] [--weight-decay X] [--clip X] [--provider auto|cuda|cpu] [--json]',
  '',
  'Trains the model on a text file (its last 5% of bytes held out for validation) or, for an image classifier, on',
  'a folder with one subfolder per class (5% of the images held out), with AdamW, linear warmup and cosine decay;',
  'defaults: --batch 16 --seq 128 --lr 1e-3, evaluation after the last step, 8 held-out batches.',
].join('\n');

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a model (or a random init of it) on text or images; write the curve and the trained model',
  usage: USAGE,
  options: {
    data: { type: 'string' },
    steps: { type: 'string' },
    batch: { type: 'string' },
    seq: { type: 'string' },
    lr: { type: 'string' },
    init: { type: 'string' },
    'eval-every': { type: 'string' },
    'eval-batches': { type: 'string' },
    out: { type: 'string' },
    save: { type: 'string' },
    overwrite: { type: 'boolean' },
    seed: { type: 'string' },
    warmup: { type: 'string' },
    'min-lr': { type: 'string' },
    'weight-decay': { type: 'string' },
    clip: { type: 'string' },
    provider: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, ctx) {
    const req = request(args);
    const out = stringOption(args, 'out');
    const overwrite = args.values.overwrite === true;
    const curve: CurvePoint[] = [];
    const writeCurve = () => out && writeFileAtomic(out, curveCsv(curve), overwrite);
    if (out) assertWritable(out, overwrite); // fail before training, not after
    try {
      const result = await trainOnData(req, {
        signal: ctx.signal,
        onNotice: (m) => ctx.err(`note: ${m}`),
        onProgress: (p) => {
          curve.push(p);
          if (p.step === 1 || p.step === p.steps || p.valLoss !== null || p.step % 10 === 0) ctx.err(formatTrainProgress(p));
        },
      });
      writeCurve();
      const last = result.curve[result.curve.length - 1];
      if (args.values.json) {
        ctx.out(JSON.stringify({ ...result, finalTrainLoss: last.trainLoss, finalValLoss: last.valLoss }, null, 2));
      } else {
        ctx.out(`trained ${result.curve.length} steps in ${result.seconds.toFixed(1)} s on ${result.provider} ` +
          (result.tokenizer === 'images' ? `(${result.trainTokens} images)` : `(${result.trainTokens} training tokens, ${result.tokenizer === 'bytes' ? 'bytes' : 'tokenizer.json'})`));
        ctx.out(`final train loss ${last.trainLoss.toFixed(4)}, validation loss ${last.valLoss?.toFixed(4) ?? '-'}`);
        if (out) ctx.out(`curve: ${out}`);
        if (result.saved) ctx.out(`trained model: ${result.saved}`);
      }
      return 0;
    } catch (e) {
      // A cancelled run still leaves the curve of the steps it finished.
      if (isSubcloneError(e, 'Cancelled') && curve.length) writeCurve();
      throw e;
    }
  },
};

function request(args: ParsedArgs): TrainingRequest {
  const model = requireModelPath(args);
  const data = stringOption(args, 'data');
  if (!data) throw new SubcloneError('BadArgument', 'missing --data (a text file or an image folder)');
  const steps = intOption(args, 'steps');
  if (steps === undefined) throw new SubcloneError('BadArgument', 'missing --steps N');
  const init = stringOption(args, 'init') ?? 'model';
  if (init !== 'model' && init !== 'random') throw new SubcloneError('BadArgument', `--init must be "random" (or "model", the default), got ${init}`);
  const provider = providerOption(args);
  const evalBatches = stringOption(args, 'eval-batches');
  const req: TrainingRequest = {
    model,
    data,
    steps: positive(steps, 'steps'),
    batch: positive(intOption(args, 'batch') ?? 16, 'batch'),
    seq: positive(intOption(args, 'seq') ?? 128, 'seq'),
    lr: numberOption(args, 'lr') ?? 1e-3,
    init,
    evalEvery: intOption(args, 'eval-every') ?? 0,
    evalBatches: evalBatches === 'all' ? 'all' : evalBatches === undefined ? 8 : positive(intOption(args, 'eval-batches')!, 'eval-batches'),
    seed: intOption(args, 'seed') ?? 0,
    provider,
    overwrite: args.values.overwrite === true,
  };
  const save = stringOption(args, 'save');
  if (save) req.save = save;
  const warmup = intOption(args, 'warmup');
  const minLr = numberOption(args, 'min-lr');
  const weightDecay = numberOption(args, 'weight-decay');
  const clip = numberOption(args, 'clip');
  if (warmup !== undefined) req.warmup = warmup;
  if (minLr !== undefined) req.minLr = minLr;
  if (weightDecay !== undefined) req.weightDecay = weightDecay;
  if (clip !== undefined) req.clip = clip;
  return req;
}

function positive(n: number, flag: string): number {
  if (!(n >= 1)) throw new SubcloneError('BadArgument', `--${flag} must be at least 1, got ${n}`);
  return n;
}
