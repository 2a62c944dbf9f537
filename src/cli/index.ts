#!/usr/bin/env node
import { main } from './main';

// A reader that stops early (`subclone inspect … | head`) closes the pipe: that ends the command, quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(130);
  process.stderr.write('\ncancelling… (Ctrl+C again to quit at once)\n');
  controller.abort();
});

main(process.argv.slice(2), {
  signal: controller.signal,
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`subclone: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
