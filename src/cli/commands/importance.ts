import { SubcloneError } from '../../core/errors';
import { importanceForFile, type ImportanceFileRequest } from '../../core/importance/importanceForFile';
import type { CalibrationRequest } from '../../core/importance/options';
import { summaryLines } from '../../core/importance/summary';
import { intOption, providerOption, requireModelPath, stringOption } from '../args';
import type { Command, ParsedArgs } from '../command';

const USAGE = [
  'subclone importance <model.onnx|hf-folder> (--data <file|folder> | --data-free | --random) [--samples N] [--batch B]',
  '    [--seq T] [--top-k K] [--seed S] [--provider auto|cuda|cpu] [--out report.json] [--overwrite] [--json]',
  '',
  'Ranks embedding neurons, FFN units, heads and blocks on calibration data: a text file for language models',
  '(tokenized with the tokenizer.json beside the model), a folder of PNG/JPEG images for vision models',
  '(preprocessed per preprocessor_config.json). Defaults: 64 sequences × the model\'s context, or 256 images.',
  '--data-free scores from weight magnitudes and --random runs random inputs: both are flagged fallbacks.',
  'Writes <model name>.importance.json beside the model (or --out) and prints a summary; --json prints the report.',
].join('\n');

export const importanceCommand: Command = {
  name: 'importance',
  summary: 'rank neurons, heads and blocks on calibration data; write the importance report',
  usage: USAGE,
  options: {
    data: { type: 'string' },
    'data-free': { type: 'boolean' },
    random: { type: 'boolean' },
    samples: { type: 'string' },
    batch: { type: 'string' },
    seq: { type: 'string' },
    'top-k': { type: 'string' },
    seed: { type: 'string' },
    provider: { type: 'string' },
    out: { type: 'string' },
    overwrite: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(args, ctx) {
    const req = request(args);
    let lastStage = '';
    const { report, reportFile } = await importanceForFile({
      ...req,
      signal: ctx.signal,
      onNotice: (m) => ctx.err(`note: ${m}`),
      onProgress: (p) => {
        // One line per calibration batch; data and weight stages only when they start.
        if (p.stage === 'calibration') ctx.err(p.done === 0 ? `${p.message}…` : `${p.message}: ${p.tokens} tokens`);
        else if (p.stage !== lastStage) ctx.err(p.stage === 'data' ? `${p.message}…` : 'scoring weight magnitudes…');
        lastStage = p.stage;
      },
    });
    if (args.values.json) ctx.out(JSON.stringify({ reportFile, report }, null, 2));
    else ctx.out(summaryLines(report, reportFile).join('\n'));
    return 0;
  },
};

function request(args: ParsedArgs): ImportanceFileRequest {
  const model = requireModelPath(args);
  const req: ImportanceFileRequest = { model, data: calibration(args), provider: providerOption(args), overwrite: args.values.overwrite === true };
  const numbers: [keyof ImportanceFileRequest & ('samples' | 'batchSize' | 'sequenceLength' | 'topK' | 'seed'), string][] = [
    ['samples', 'samples'],
    ['batchSize', 'batch'],
    ['sequenceLength', 'seq'],
    ['topK', 'top-k'],
    ['seed', 'seed'],
  ];
  for (const [key, flag] of numbers) {
    const n = intOption(args, flag);
    if (n === undefined) continue;
    if (n < (key === 'seed' ? 0 : 1)) throw new SubcloneError('BadArgument', `--${flag} must be at least ${key === 'seed' ? 0 : 1}, got ${n}`);
    req[key] = n;
  }
  const out = stringOption(args, 'out');
  if (out) req.out = out;
  return req;
}

function calibration(args: ParsedArgs): CalibrationRequest {
  const data = stringOption(args, 'data');
  const modes = [data !== undefined && '--data', args.values['data-free'] === true && '--data-free', args.values.random === true && '--random'].filter(Boolean);
  if (modes.length === 0) throw new SubcloneError('BadArgument', 'missing --data <text file or image folder> (or --data-free / --random for fallback scores)');
  if (modes.length > 1) throw new SubcloneError('BadArgument', `choose one of ${modes.join(', ')}`);
  if (data !== undefined) return { kind: 'path', path: data };
  return args.values.random === true ? { kind: 'random' } : { kind: 'weights' };
}
