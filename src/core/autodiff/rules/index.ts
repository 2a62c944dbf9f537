import { elementwiseRules } from './elementwise';
import { layoutRules } from './layout';
import { linearRules } from './linear';
import { normalizationRules } from './normalization';
import { reduceRules } from './reduce';
import { convRules } from './conv';
import type { VjpRule } from './rule';

/** Every vector-Jacobian rule, by default-domain op type. */
export const VJP_RULES: ReadonlyMap<string, VjpRule> = new Map(
  Object.entries({ ...elementwiseRules, ...linearRules, ...reduceRules, ...normalizationRules, ...layoutRules, ...convRules }),
);

export type { VjpContext, VjpRule } from './rule';
