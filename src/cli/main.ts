import { parseArgs } from 'node:util';
import { SubcloneError, errorMessage, type ErrorCode } from '../core/errors';
import type { Command, CommandContext } from './command';
import { importanceCommand } from './commands/importance';
import { inspectCommand } from './commands/inspect';
import { applyCommand } from './commands/apply';
import { trainCommand } from './commands/train';
import { convergeCommand } from './commands/converge';

const COMMANDS: Command[] = [inspectCommand, importanceCommand, applyCommand, trainCommand, convergeCommand];

/** Exit codes: 0 ok, 1 failure, 2 unsupported model, 3 unreadable model or data, 64 usage, 73 cannot write the output, 130 cancelled. */
export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'Unsupported':
    case 'UnsupportedOp':
      return 2;
    case 'BadModel':
    case 'MissingData':
      return 3;
    case 'BadArgument':
    case 'BadShape':
      return 64;
    case 'CannotWrite':
      return 73;
    case 'Cancelled':
      return 130;
    case 'ShapeMismatch':
    case 'Exists':
    case 'Runtime':
      return 1;
  }
}

function usage(): string {
  return [
    'usage: subclone <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(11)} ${c.summary}`),
    '',
    'Run `subclone <command> --help` for a command\'s options.',
  ].join('\n');
}

export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    ctx.out(usage());
    return name ? 0 : 64;
  }
  if (name === '--version') {
    ctx.out(VERSION);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    ctx.err(`subclone: unknown command "${name}"\n\n${usage()}`);
    return 64;
  }
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values.help) {
      ctx.out(`usage: ${command.usage}`);
      return 0;
    }
    return await command.run(parsed, ctx);
  } catch (e) {
    if (e instanceof SubcloneError) {
      ctx.err(`subclone ${name}: ${e.message}`);
      return exitCodeFor(e.code);
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      ctx.err(`subclone ${name}: ${e.message}\nusage: ${command.usage}`);
      return 64;
    }
    ctx.err(`subclone ${name}: internal error: ${errorMessage(e)}`);
    if (process.env.SUBCLONE_DEBUG) ctx.err(String((e as Error).stack));
    return 1;
  }
}

declare const __SUBCLONE_VERSION__: string | undefined;
const VERSION = typeof __SUBCLONE_VERSION__ === 'string' ? __SUBCLONE_VERSION__ : 'dev';
