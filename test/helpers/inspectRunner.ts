import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ErrorCode } from '../../src/core/errors';

/** How `subclone inspect`'s read path ended on one file. */
export type InspectOutcome =
  | { kind: 'read'; family: string }
  /** Read, but not a transformer Subclone supports (the CLI exits 2 after printing the summary). */
  | { kind: 'unsupported'; message: string }
  | { kind: 'rejected'; code: ErrorCode; message: string }
  /** Anything thrown that is not a SubcloneError: the CLI's "internal error". */
  | { kind: 'internal'; message: string }
  | { kind: 'crashed'; message: string }
  | { kind: 'hung'; message: string };

export interface InspectRequest {
  id: number;
  file: string;
}

export interface InspectReply {
  id: number;
  outcome: InspectOutcome;
}

const ENTRY = path.join(__dirname, 'inspectChild.ts');
const STDERR_KEPT = 2000;

/**
 * Runs the inspect read path on files in a child process, one at a time: a native crash or an endless loop costs
 * the child (restarted for the next file), not the test run.
 */
export class InspectRunner {
  private child: ChildProcess | undefined;
  private stderr = '';
  private nextId = 0;

  constructor(private readonly timeoutMs: number) {}

  inspect(file: string, timeoutMs = this.timeoutMs): Promise<InspectOutcome> {
    const child = (this.child ??= this.spawn());
    const id = this.nextId++;
    return new Promise((resolve) => {
      const end = (outcome: InspectOutcome) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(outcome);
      };
      const onMessage = (reply: InspectReply) => {
        if (reply.id === id) end(reply.outcome);
      };
      const onExit = (code: number | null, signal: string | null) => {
        this.child = undefined;
        end({ kind: 'crashed', message: `the inspecting process ended (${signal ?? `exit code ${code}`}): ${this.stderr.trim()}` });
      };
      const timer = setTimeout(() => {
        end({ kind: 'hung', message: `no answer in ${timeoutMs / 1000} s` });
        this.close();
      }, timeoutMs);
      child.on('message', onMessage);
      child.on('exit', onExit);
      const request: InspectRequest = { id, file };
      child.send(request);
    });
  }

  close(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  private spawn(): ChildProcess {
    // The child inherits this process's --import=tsx, so it runs the TypeScript sources as the tests do.
    const child = fork(ENTRY, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
    });
    return child;
  }
}
