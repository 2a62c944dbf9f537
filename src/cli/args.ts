import { SubcloneError } from '../core/errors';
import type { ProviderPreference } from '../core/runtime/executionProvider';
import type { ParsedArgs } from './command';

export function requireModelPath(args: ParsedArgs): string {
  const file = args.positionals[0];
  if (!file) throw new SubcloneError('BadArgument', 'missing the model path (an .onnx file, or a Hugging Face folder with config.json and model.safetensors)');
  if (args.positionals.length > 1) throw new SubcloneError('BadArgument', `unexpected argument: ${args.positionals[1]}`);
  return file;
}

export function intOption(args: ParsedArgs, name: string): number | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n)) throw new SubcloneError('BadArgument', `--${name} needs an integer, got ${String(v)}`);
  return n;
}

export function numberOption(args: ParsedArgs, name: string): number | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new SubcloneError('BadArgument', `--${name} needs a number, got ${String(v)}`);
  return n;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** --provider auto|cuda|cpu (default auto). */
export function providerOption(args: ParsedArgs): ProviderPreference {
  const provider = stringOption(args, 'provider') ?? 'auto';
  if (provider !== 'auto' && provider !== 'cuda' && provider !== 'cpu') throw new SubcloneError('BadArgument', `--provider must be auto, cuda or cpu, got ${provider}`);
  return provider;
}
