// Runs one `subclone` CLI command in this process, so the harness measures the command's own time and peak RSS:
//   cli <command> [arguments…]
// The command's output goes to stderr; the value is its exit code and its stdout lines (parse --json output).
import { main } from '../../src/cli/main';
import { reportTask } from '../harness';

void reportTask(async () => {
  const lines: string[] = [];
  const code = await main(process.argv.slice(2), {
    signal: new AbortController().signal,
    out: (line) => {
      lines.push(line);
      process.stderr.write(`${line}\n`);
    },
    err: (line) => process.stderr.write(`${line}\n`),
  });
  return { code, stdout: lines.join('\n') };
});
