import { SubcloneError } from '../../errors';
import type { ConfigReader } from './configReader';
import { isActivation, type Activation } from './layers';

/** The hidden width, the head count and the head width hidden / heads, checked to divide. */
export function headSplit(c: ConfigReader, fields: { hidden: string; heads: string }, defaults: { hidden: number; heads: number }): { dModel: number; heads: number; headDim: number } {
  const dModel = c.count(fields.hidden, defaults.hidden);
  const heads = c.count(fields.heads, defaults.heads);
  if (dModel % heads !== 0) throw new SubcloneError('BadModel', `${c.file}: ${fields.hidden} ${dModel} is not a multiple of ${fields.heads} ${heads}`);
  return { dModel, heads, headDim: dModel / heads };
}

/** An activation field (hidden_act, activation_function), refused when Subclone does not build it. */
export function activationField(c: ConfigReader, key: string, fallback: Activation): Activation {
  const act = c.string(key, fallback);
  if (!isActivation(act)) throw new SubcloneError('Unsupported', `not supported yet: ${key} ${JSON.stringify(act)} (${c.file})`);
  return act;
}
