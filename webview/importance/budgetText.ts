/** What the user types as a parameter budget: "700K", "1.2M", "700000", "700,000" or "25%". DOM-free. */
import type { Budget } from '../../src/protocol/importanceProtocol';

export type BudgetParse = { ok: true; budget: Budget } | { ok: false; message: string };

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, m: 1e6, b: 1e9, g: 1e9 };
export const BUDGET_HINT = 'Enter a parameter count (700K, 1.2M, 700000) or a share of the parent (25%).';

export function parseBudget(text: string, parentParameters: number | null = null): BudgetParse {
  const s = text.trim().replace(/[\s,_]/g, '').toLowerCase();
  if (!s) return { ok: false, message: BUDGET_HINT };
  const percent = /^(\d+(?:\.\d+)?|\.\d+)%$/.exec(s);
  if (percent) {
    const p = Number(percent[1]);
    if (!(p > 0 && p < 100)) return { ok: false, message: 'A percentage budget must be above 0% and below 100% of the parent.' };
    return { ok: true, budget: { percent: p } };
  }
  const count = /^(\d+(?:\.\d+)?|\.\d+)([kmbg]?)$/.exec(s);
  if (!count) return { ok: false, message: `“${text.trim()}” is not a budget. ${BUDGET_HINT}` };
  const n = Math.round(Number(count[1]) * SUFFIX[count[2]]);
  if (!(n >= 1)) return { ok: false, message: 'A budget needs at least one parameter.' };
  if (parentParameters !== null && n >= parentParameters) {
    return { ok: false, message: `${n.toLocaleString('en-US')} parameters is not below the parent's ${parentParameters.toLocaleString('en-US')}.` };
  }
  return { ok: true, budget: { parameters: n } };
}
