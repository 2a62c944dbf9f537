import { OnnxModel } from '../../core/onnx/onnxModel';
import { summarizeModel } from '../../core/onnx/modelSummary';
import { formatBytes } from '../../core/onnx/fileBytes';
import { formatShape } from '../../core/onnx/valueInfo';
import type { Command } from '../command';
import { formatCount, table } from '../format';
import { requireModelPath } from '../args';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show what a model is: inputs, outputs, operators, parameters',
  usage: 'subclone inspect <model.onnx> [--json]',
  options: { json: { type: 'boolean' } },
  async run(args, ctx) {
    const file = requireModelPath(args);
    const model = OnnxModel.load(file);
    try {
      const summary = summarizeModel(model);
      if (args.values.json) {
        ctx.out(JSON.stringify(summary, null, 2));
        return 0;
      }
      ctx.out(`${file}`);
      ctx.out(`  producer ${summary.producer || '?'}, IR v${summary.irVersion}, opsets ${Object.entries(summary.opsets).map(([d, v]) => `${d} ${v}`).join(', ')}`);
      ctx.out(`  ${summary.nodes} nodes, ${summary.initializers} initializers, ${formatCount(summary.parameters)} parameters` +
        (summary.externalData ? ' (external data)' : ''));
      ctx.out(`  weights: ${Object.entries(summary.weightBytes).map(([t, b]) => `${t} ${formatBytes(b)}`).join(', ')}`);
      ctx.out('');
      ctx.out(table([
        ...summary.inputs.map((v) => ['input', v.name, v.dtype, formatShape(v.shape)]),
        ...summary.outputs.map((v) => ['output', v.name, v.dtype, formatShape(v.shape)]),
      ]));
      ctx.out('');
      const ops = Object.entries(summary.ops).sort((a, b) => b[1] - a[1]);
      ctx.out(`  operators: ${ops.map(([op, n]) => `${op} ${n}`).join(', ')}`);
      return 0;
    } finally {
      model.close();
    }
  },
};
