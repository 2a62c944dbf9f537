import { parentPort } from 'node:worker_threads';
import { SubcloneError, errorMessage } from '../core/errors';
import type { FromWorker, MethodName, ToWorker } from '../protocol/workerProtocol';
import { handlers, type CallContext } from './handlers';

/** The worker thread's entry: runs calls from the host one at a time in order, each cancellable. */
const port = parentPort;
if (!port) throw new Error('worker/main must run in a worker thread');

const running = new Map<number, AbortController>();
const post = (m: FromWorker) => port.postMessage(m);

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'cancel') {
    running.get(msg.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(msg.id, controller);
  const ctx: CallContext = {
    signal: controller.signal,
    provider: msg.provider,
    progress: (fraction, message) => post({ type: 'progress', id: msg.id, fraction, message }),
    notice: (message) => post({ type: 'notice', id: msg.id, message }),
  };
  const handler = handlers[msg.method as MethodName] as (p: unknown, c: CallContext) => Promise<unknown>;
  Promise.resolve()
    .then(() => {
      if (!handler) throw new SubcloneError('BadArgument', `unknown worker method ${msg.method}`);
      return handler(msg.params, ctx);
    })
    .then(
      (value) => post({ type: 'result', id: msg.id, value }),
      (e) => post({ type: 'error', id: msg.id, code: e instanceof SubcloneError ? e.code : 'Runtime', message: e instanceof SubcloneError ? e.message : `internal error: ${errorMessage(e)}` }),
    )
    .finally(() => running.delete(msg.id));
});
