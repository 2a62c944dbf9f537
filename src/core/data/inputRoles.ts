/** The model inputs that carry token ids, masks, token types, positions and pixels. */
export interface InputRoles {
  ids?: string;
  mask?: string;
  tokenTypes?: string;
  positions?: string;
  pixels?: string;
}

/** Which model inputs carry token ids, masks, token types, positions and pixels, from their names and types. */
export function inputRoles(inputs: { name: string; dtype: string; rank: number }[]): InputRoles {
  const out: InputRoles = {};
  for (const v of inputs) {
    const n = v.name.toLowerCase();
    const isInt = v.dtype.startsWith('int');
    if (isInt && n.includes('mask')) out.mask ??= v.name;
    else if (isInt && n.includes('type')) out.tokenTypes ??= v.name;
    else if (isInt && n.includes('position')) out.positions ??= v.name;
    else if (isInt && !n.includes('past')) out.ids ??= v.name;
    else if (!isInt && v.rank === 4 && !n.includes('past')) out.pixels ??= v.name;
  }
  return out;
}
