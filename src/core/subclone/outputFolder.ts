import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SubcloneError, errorMessage } from '../errors';
import { checkpointStem } from '../checkpoint/openCheckpoint';
import { writeFailure } from '../fs/atomicFile';

/** Files beside a Hugging Face model that a subclone keeps unchanged (tokenizers, processors, generation). */
export const COMPANION_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.json',
  'vocab.txt',
  'merges.txt',
  'tokenizer.model',
  'added_tokens.json',
  'preprocessor_config.json',
  'generation_config.json',
];

/** `<parent folder>/<parent file stem>-subclone-<shape>`. */
export function defaultOutputDir(parentFile: string, label: string): string {
  const stem = checkpointStem(parentFile);
  return path.join(path.dirname(path.resolve(parentFile)), `${stem}-subclone-${label}`);
}

/** Refuses an existing folder unless overwriting was asked for. Call before any work. */
export function checkOutputDir(dir: string, overwrite: boolean): void {
  if (fs.existsSync(dir) && !overwrite) {
    throw new SubcloneError('Exists', `${dir} already exists; choose another output folder or allow overwriting (--force)`);
  }
  const parent = path.dirname(dir);
  if (!fs.existsSync(parent)) throw new SubcloneError('MissingData', `cannot create ${dir}: its folder ${parent} does not exist`);
}

/**
 * Fills a hidden temporary folder beside `dir` and renames it onto `dir` only when `fill` succeeds, so an
 * interrupted or failed run leaves nothing behind. An existing `dir` (overwrite allowed) is replaced only at the
 * very end.
 */
export async function writeFolderAtomically<T>(dir: string, overwrite: boolean, fill: (tmp: string) => Promise<T>): Promise<T> {
  checkOutputDir(dir, overwrite);
  const tmp = path.join(path.dirname(dir), `.${path.basename(dir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.mkdirSync(tmp);
  } catch (e) {
    throw writeFailure(e, dir);
  }
  try {
    const result = await fill(tmp);
    if (fs.existsSync(dir)) {
      const old = `${tmp}.old`;
      fs.renameSync(dir, old);
      fs.renameSync(tmp, dir);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, dir);
    }
    return result;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw writeFailure(e, dir);
  }
}

/** Copies the parent folder's companion files (tokenizer, processor, …) into `dir`. */
export function copyCompanions(parentFile: string, dir: string): string[] {
  const from = path.dirname(path.resolve(parentFile));
  const copied: string[] = [];
  for (const name of COMPANION_FILES) {
    const src = path.join(from, name);
    if (!fs.existsSync(src)) continue;
    try {
      fs.copyFileSync(src, path.join(dir, name));
      copied.push(name);
    } catch (e) {
      throw new SubcloneError('MissingData', `cannot copy ${src}: ${errorMessage(e)}`, { cause: e });
    }
  }
  return copied;
}
