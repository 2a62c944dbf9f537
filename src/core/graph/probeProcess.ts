/**
 * The child-process entry of a probe run (bundled as dist/probeProcess.js): runs the model it is sent and sends
 * the reply back. A process of its own because the run copies every intermediate value into JavaScript and
 * materialises weights in onnxruntime: when it exits all of that is gone, where in the caller's process it would
 * stay (garbage waiting for a collection, malloc arenas) beside the next session's weights. A crash inside
 * onnxruntime on a malformed model ends this process, not the caller.
 */
import { errorLine } from '../errors';
import { runProbe, type ProbeReply, type ProbeTask } from './probeRun';

const send = (reply: ProbeReply) => process.send!(reply, () => process.exit(0));

if (!process.send) throw new Error('graph/probeProcess must run as a child process with an IPC channel');
process.once('message', (task: ProbeTask) => {
  runProbe(task).then(send, (e: unknown) => send({ ok: false, stage: 'run', message: `internal error: ${errorLine(e)}` }));
});
