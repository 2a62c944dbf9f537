import type { ParseArgsConfig } from 'node:util';

/** What a command gets besides its parsed arguments. */
export interface CommandContext {
  /** Fires on Ctrl+C. */
  signal: AbortSignal;
  out: (line: string) => void;
  /** Progress and notices go to stderr so --json output stays clean. */
  err: (line: string) => void;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(args: ParsedArgs, ctx: CommandContext): Promise<number>;
}
