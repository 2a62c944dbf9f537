import { SubcloneError } from '../../core/errors';
import { formatBytes } from '../../core/onnx/fileBytes';
import { formatShape } from '../../core/onnx/valueInfo';
import { inspectModel } from '../../core/recognize/inspectModel';
import type { Command } from '../command';
import { describeMap } from '../describeMap';
import { formatCount, table } from '../format';
import { requireModelPath } from '../args';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'recognise a transformer: family, dimensions, parameters, structure and coupling (--json: the full map)',
  usage: 'subclone inspect <model.onnx|hf-folder> [--json]',
  options: { json: { type: 'boolean' } },
  async run(args, ctx) {
    const file = requireModelPath(args);
    const { summary, map, unsupported } = await inspectModel(file, ctx.signal);
    if (args.values.json) {
      if (!map) throw new SubcloneError('Unsupported', `${file}: ${unsupported}`);
      ctx.out(JSON.stringify({ ...map, model: summary }, null, 2));
      return 0;
    }
    ctx.out(`${file}`);
    if (summary.format === 'safetensors') ctx.out(`  Hugging Face checkpoint: ${summary.description}`);
    if (map) {
      for (const line of describeMap(map)) ctx.out(line);
      ctx.out(`  file: ${summary.nodes} nodes, opset ${summary.opsets['ai.onnx'] ?? '?'}, ${Object.entries(summary.weightBytes).map(([t, b]) => `${t} ${formatBytes(b)}`).join(', ')}` +
        (summary.externalData ? ', external data' : ''));
      return 0;
    }
    ctx.out(`  producer ${summary.producer || '?'}, IR v${summary.irVersion}, opsets ${Object.entries(summary.opsets).map(([d, v]) => `${d} ${v}`).join(', ')}`);
    ctx.out(`  ${summary.nodes} nodes, ${summary.initializers} initializers, ${formatCount(summary.parameters)} parameters`);
    ctx.out(table([
      ...summary.inputs.map((v) => ['  input', v.name, v.dtype, formatShape(v.shape)]),
      ...summary.outputs.map((v) => ['  output', v.name, v.dtype, formatShape(v.shape)]),
    ]));
    throw new SubcloneError('Unsupported', unsupported ?? 'not a supported transformer');
  },
};
