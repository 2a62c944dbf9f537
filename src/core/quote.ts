/** Characters JSON.stringify leaves as they are that still break a line or reorder text on screen. */
const INVISIBLE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A name the model supplies (node, tensor, value, external data location) as messages show it: in double quotes,
 * with control characters, line separators and bidirectional overrides escaped the JSON way ("a\nb", "\u2028"), so
 * a one-line message stays one line whatever bytes the file holds.
 */
export function quote(name: string): string {
  return JSON.stringify(name).replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
