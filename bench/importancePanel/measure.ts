/**
 * Runs in the harness page (passed to page.evaluate): posts the report, waits for the first render and for the
 * render with the engine's selection, then hovers the big heatmaps. Times are performance.now() in the page:
 * the synchronous handler plus the work of the following frame (rAF → the task after it), so vsync idle time is
 * not counted.
 */
export interface PanelTimings {
  firstRenderMs: number;
  /** From the selection reaching the page to its highlights painted (the repaint waits for the next frame). */
  selectionRenderMs: number;
  /** The first render's parts: handler and frame, and the panel's own measures (build, connect, paint per section). */
  breakdown: Record<string, number>;
  hover: Record<string, { handlerMs: number; frameMs: number }[]>;
}

export async function measurePanel(hoverTargets: string[]): Promise<PanelTimings> {
  const frame = () =>
    new Promise<number>((resolve) => {
      requestAnimationFrame(() => {
        const start = performance.now();
        const ch = new MessageChannel();
        ch.port1.onmessage = () => resolve(performance.now() - start);
        ch.port2.postMessage(0);
      });
    });
  const until = async (test: () => boolean) => {
    while (!test()) await new Promise((r) => setTimeout(r, 0));
  };
  const host = (window as unknown as { __host: { sendReport(): void; selectionArrived: number | null; holdSelections: boolean; release(): void } }).__host;
  const kept = () => Number(document.querySelector('[data-testid=kept-neuron-count]')?.textContent ?? 0) > 0;
  // Added after the panel's own listener, so it runs right after the panel has handled the message.
  let handledAt = 0;
  window.addEventListener('message', () => (handledAt = performance.now()));

  host.holdSelections = true;
  performance.clearMeasures();
  const t0 = performance.now();
  host.sendReport();
  await until(() => handledAt > 0);
  const frameMs = await frame();
  const firstRenderMs = handledAt - t0 + frameMs;
  const atFirst: Record<string, number> = { handler: handledAt - t0, frame: frameMs };
  for (const m of performance.getEntriesByType('measure')) if (m.name.startsWith('importance:')) atFirst[m.name.slice(11)] = m.duration;
  host.release();
  await until(kept);
  const painted = performance.now();
  const selectionRenderMs = painted - (host.selectionArrived ?? painted) + (await frame());

  const hover: PanelTimings['hover'] = {};
  for (const id of hoverTargets) {
    const over = document.querySelector(`[data-testid=${id}] canvas`) as HTMLCanvasElement;
    over.scrollIntoView();
    await frame();
    const rect = over.getBoundingClientRect();
    hover[id] = [];
    for (let i = 0; i < 25; i++) {
      const x = rect.left + 90 + ((i * 37) % Math.max(1, rect.width - 100));
      const y = rect.top + 10 + ((i * 13) % Math.max(1, rect.height - 40));
      const s = performance.now();
      over.dispatchEvent(new MouseEvent('mousemove', { clientX: x, clientY: y, bubbles: true }));
      const handlerMs = performance.now() - s;
      hover[id].push({ handlerMs, frameMs: await frame() });
    }
  }
  return { firstRenderMs, selectionRenderMs, hover, breakdown: atFirst };
}

if (typeof window !== 'undefined') (window as unknown as { __measurePanel: typeof measurePanel }).__measurePanel = measurePanel;
