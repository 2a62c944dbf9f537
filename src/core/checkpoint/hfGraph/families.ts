import { BERT } from './bertGraph';
import type { FamilySpec } from './family';
import { GPT2 } from './gpt2Graph';
import { LLAMA } from './llamaGraph';
import { GPT_NEOX } from './neoxGraph';
import { VIT } from './vitGraph';

/** Every family Subclone builds from a Hugging Face checkpoint, by config.json model_type. */
export const HF_BUILD_FAMILIES: readonly FamilySpec[] = [GPT2, GPT_NEOX, BERT, VIT, LLAMA];
