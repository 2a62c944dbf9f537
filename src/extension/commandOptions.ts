import { SubcloneError } from '../core/errors';

/**
 * The second argument of a command as an options record. VS Code passes the explorer's selection (an array) there
 * when a command runs from the context menu: that, and no argument, read as no options. Keys not in `own` (VS Code
 * adds its own, such as preserveFocus, in some invocations) are passed to `ignored`, not rejected; checking the
 * types of the command's own keys is the caller's.
 */
export function commandOptions(value: unknown, own: readonly string[], ignored: (keys: string[]) => void): Record<string, unknown> {
  if (value === undefined || value === null || Array.isArray(value)) return {};
  if (typeof value !== 'object') throw new SubcloneError('BadArgument', `command options must be an object, got ${typeof value}`);
  const options = value as Record<string, unknown>;
  const foreign = Object.keys(options).filter((k) => !own.includes(k));
  if (foreign.length) ignored(foreign);
  return options;
}
