// One convergence sweep (runConvergence) on a child: args <child.onnx> <data> <outDir> <settings JSON>. Prints the
// verdict, the runs' final losses and throughput, and the sweep's wall time.
import { runConvergence } from '../../src/core/converge/runConvergence';
import type { ConvergeSettings } from '../../src/core/converge/settings';
import { reportTask } from '../harness';

const [child, data, outDir, settingsJson] = process.argv.slice(2);
void reportTask(async () => {
  const settings = JSON.parse(settingsJson) as Partial<ConvergeSettings>;
  const r = await runConvergence({ child, data, outDir, overwrite: true, settings }, { onNotice: (m) => process.stderr.write(`note: ${m}\n`) });
  const f = r.content;
  return {
    file: r.file,
    parallel: f.settings.parallel,
    seconds: f.seconds,
    verdict: f.verdict,
    runs: f.runs.map((x) => ({ init: x.init, lr: x.lr, status: x.status, final: x.points[x.points.length - 1]?.valLoss ?? null, tokensPerS: x.tokensPerS, seconds: x.seconds })),
  };
});
