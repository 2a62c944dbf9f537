import { SubcloneError } from '../../errors';
import type { ConfigReader } from './configReader';

/** The rotary embedding's inverse frequencies and the factor its cos/sin are scaled by. */
export interface RopeParameters {
  invFreq: Float32Array;
  attentionFactor: number;
}

const f32 = Math.fround;

/** 1 / base^(2i/dim) for i < dim/2, rounded as torch computes it in float32. */
function defaultInvFreq(base: number, dim: number): Float32Array {
  const out = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) out[i] = f32(1 / f32(Math.pow(base, f32(f32(2 * i) / dim))));
  return out;
}

/**
 * The rotary frequencies transformers computes for a config (modeling_rope_utils.py, ROPE_INIT_FUNCTIONS):
 * rope_scaling absent or "default", "linear", "dynamic", "ntk", "yarn", "llama3". "dynamic" equals the default at
 * lengths up to max_position_embeddings, which is as long as Subclone's calibration and training windows go; the
 * built graph then differs from transformers only on longer inputs. Other types (longrope, …) are refused.
 */
export function ropeParameters(config: ConfigReader, dim: number, base: number, maxPositions: number): RopeParameters {
  if (dim % 2 !== 0 || dim < 2) throw new SubcloneError('BadModel', `${config.file}: the rotary embedding's width ${dim} is not an even number ≥ 2`);
  const scaling = config.object('rope_scaling');
  const type = scaling ? (scaling.has('rope_type') ? scaling.string('rope_type') : scaling.string('type', 'default')) : 'default';
  const invFreq = defaultInvFreq(base, dim);
  switch (type) {
    case 'default':
    case 'dynamic':
      return { invFreq, attentionFactor: 1 };
    case 'linear': {
      const factor = scaling!.positive('factor');
      return { invFreq: invFreq.map((x) => f32(x / factor)), attentionFactor: 1 };
    }
    case 'ntk': {
      const factor = scaling!.positive('factor');
      return { invFreq: defaultInvFreq(base * factor ** (dim / (dim - 2)), dim), attentionFactor: 1 };
    }
    case 'llama3':
      return { invFreq: llama3(invFreq, scaling!), attentionFactor: 1 };
    case 'yarn':
      return yarn(scaling!, dim, base, maxPositions);
    default:
      throw new SubcloneError('Unsupported', `not supported yet: rope_scaling type ${JSON.stringify(type)} (${config.file}); supported: default, linear, dynamic, ntk, yarn, llama3`);
  }
}

/** Llama 3.1: long wavelengths divided by the factor, short ones kept, the band between interpolated. */
function llama3(invFreq: Float32Array, s: ConfigReader): Float32Array {
  const factor = s.positive('factor');
  const low = s.positive('low_freq_factor');
  const high = s.positive('high_freq_factor');
  const oldContext = s.positive('original_max_position_embeddings');
  const lowWavelen = oldContext / low;
  const highWavelen = oldContext / high;
  return invFreq.map((f) => {
    const wavelen = f32((2 * Math.PI) / f);
    const scaled = wavelen > lowWavelen ? f32(f / factor) : f;
    if (wavelen < highWavelen || wavelen > lowWavelen) return scaled;
    const smooth = f32((oldContext / wavelen - low) / (high - low));
    return f32(f32((1 - smooth) * f32(scaled / factor)) + f32(smooth * scaled));
  });
}

/** YaRN: interpolated and extrapolated frequencies blended by a ramp over the dims, and an attention factor. */
function yarn(s: ConfigReader, dim: number, base: number, maxPositions: number): RopeParameters {
  const factor = s.positive('factor');
  const attentionFactor = s.has('attention_factor') ? s.positive('attention_factor') : 0.1 * Math.log(factor) + 1;
  const betaFast = s.has('beta_fast') ? s.positive('beta_fast') : 32;
  const betaSlow = s.has('beta_slow') ? s.positive('beta_slow') : 1;
  const correctionDim = (rotations: number) => (dim * Math.log(maxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  const low = Math.max(Math.floor(correctionDim(betaFast)), 0);
  let high = Math.min(Math.ceil(correctionDim(betaSlow)), dim - 1);
  if (low === high) high += 0.001;
  const invFreq = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) {
    const posFreq = f32(Math.pow(base, f32(f32(2 * i) / dim)));
    const extrapolation = f32(1 / posFreq);
    const interpolation = f32(1 / f32(factor * posFreq));
    const ramp = Math.min(Math.max(f32((i - low) / (high - low)), 0), 1);
    const extrapolationFactor = f32(1 - ramp);
    invFreq[i] = f32(f32(interpolation * f32(1 - extrapolationFactor)) + f32(extrapolation * extrapolationFactor));
  }
  return { invFreq, attentionFactor };
}
