/** The whole panel for one report: its sections in reading order, painted together. */
import type { ImportanceViewData } from '../../src/protocol/importanceProtocol';
import { createBlocks } from './blocks';
import { createBudget } from './budget';
import { createConsistency } from './consistency';
import type { Controller } from './controller';
import { createEmbedding } from './embedding';
import { createFfn } from './ffn';
import { createHeader } from './header';
import { createHeads } from './heads';
import { h } from '../shared/dom';
import { timed, type PaintContext, type Section } from './paint';
import { createPicker } from './picker';
import { createRuns } from './runs';

export class Panel {
  readonly el: HTMLElement;
  private readonly sections: Section[];

  constructor(data: ImportanceViewData, controller: Controller) {
    this.sections = [
      createHeader(data, (m) => controller.post(m)),
      createPicker(data, controller),
      createEmbedding(data, controller),
      createConsistency(data),
      createFfn(data, controller),
      createHeads(data),
      createBlocks(data, controller),
      createBudget(data, controller),
      createRuns(data, controller),
    ];
    this.el = h('div', { class: 'importance' }, ...this.sections.map((s) => s.el));
  }

  paint(ctx: PaintContext): void {
    for (const s of this.sections) timed(`paint ${s.el.id || s.el.tagName.toLowerCase()}`, () => s.paint(ctx));
  }
}
