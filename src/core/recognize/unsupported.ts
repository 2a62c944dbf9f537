import { SubcloneError } from '../errors';
import type { OnnxModel } from '../onnx/onnxModel';

const FUSED: Record<string, string> = {
  Attention: 'com.microsoft Attention (an ORT-fused graph)',
  MultiHeadAttention: 'com.microsoft MultiHeadAttention (an ORT-fused graph)',
  GroupQueryAttention: 'com.microsoft GroupQueryAttention (an ORT-fused graph)',
  PackedAttention: 'com.microsoft PackedAttention (an ORT-fused graph)',
  SkipLayerNormalization: 'com.microsoft SkipLayerNormalization (an ORT-fused graph)',
  SkipSimplifiedLayerNormalization: 'com.microsoft SkipSimplifiedLayerNormalization (an ORT-fused graph)',
  SimplifiedLayerNormalization: 'SimplifiedLayerNormalization (an ORT-fused graph)',
  EmbedLayerNormalization: 'com.microsoft EmbedLayerNormalization (an ORT-fused graph)',
  FastGelu: 'com.microsoft FastGelu (an ORT-fused graph)',
  BiasGelu: 'com.microsoft BiasGelu (an ORT-fused graph)',
  RotaryEmbedding: 'com.microsoft RotaryEmbedding (an ORT-fused graph)',
  MatMulNBits: 'com.microsoft MatMulNBits (a quantized graph)',
  QuantizeLinear: 'QuantizeLinear (a quantized graph)',
  DequantizeLinear: 'DequantizeLinear (a quantized graph)',
  DynamicQuantizeLinear: 'DynamicQuantizeLinear (a quantized graph)',
  MatMulInteger: 'MatMulInteger (a quantized graph)',
  QLinearMatMul: 'QLinearMatMul (a quantized graph)',
  DynamicQuantizeMatMul: 'com.microsoft DynamicQuantizeMatMul (a quantized graph)',
};

/**
 * Rejects graphs we know we cannot handle before any analysis, with what was found and what to do instead.
 */
export function checkSupported(model: OnnxModel): void {
  const opset = model.opset('');
  if (opset === undefined) throw new SubcloneError('Unsupported', 'the model imports no default-domain opset; not an ONNX graph Subclone can read');
  if (opset < 13) throw new SubcloneError('Unsupported', `the model uses opset ${opset}; Subclone supports opset 13 and newer (re-export with opset_version=14 or later)`);
  const found = new Map<string, number>();
  for (const n of model.graph.node) {
    const what = FUSED[n.opType];
    if (what) found.set(what, (found.get(what) ?? 0) + 1);
  }
  if (found.size) {
    const list = [...found].map(([w, c]) => `${w} ×${c}`).join(', ');
    const quantized = [...found.keys()].some((w) => w.includes('quantized'));
    throw new SubcloneError(
      'Unsupported',
      `${list} ${found.size > 1 ? 'are' : 'is'} not supported yet; ` +
        (quantized ? 'subclone the float model, then quantize the result' : 'export without ORT optimisation (plain torch.onnx.export or optimum without --optimize)'),
    );
  }
  if (model.graph.node.length === 0) throw new SubcloneError('Unsupported', 'the graph has no nodes');
}
