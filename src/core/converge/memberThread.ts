/**
 * The worker-thread entry of one sweep member (bundled as dist/convergeMember.js): trains the run in workerData
 * and posts its steps; a 'cancel' message stops it before its next step.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SubcloneError, errorMessage } from '../errors';
import { runMember, type MemberTask } from './member';
import type { FromMember, ToMember } from './memberMessages';

const port = parentPort;
if (!port) throw new Error('converge/memberThread must run in a worker thread');

const controller = new AbortController();
const post = (m: FromMember) => port.postMessage(m);
port.on('message', (m: ToMember) => {
  if (m.type === 'cancel') controller.abort();
});

runMember(workerData as MemberTask, {
  signal: controller.signal,
  onStart: (initialValLoss) => post({ type: 'start', initialValLoss }),
  onStep: (p) => post({ type: 'step', p }),
  onNotice: (message) => post({ type: 'notice', message }),
}).then(
  (result) => post({ type: 'done', result }),
  (e: unknown) => post({ type: 'error', code: e instanceof SubcloneError ? e.code : 'Runtime', message: e instanceof SubcloneError ? e.message : `internal error: ${errorMessage(e)}` }),
);
