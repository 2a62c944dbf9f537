import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { byteTokenTable, findTokenizer, loadTextTokens } from '../../../src/core/data/textData';
import { evenWindows, randomWindows } from '../../../src/core/data/tokenWindows';
import { exampleDir, exampleModel, tempDir } from '../../helpers/paths';

const TEXT = 'In the beginning God created the heaven and the earth.\nΑρχή — “quoted” ünïcödé ✓ 𝄞\n\nAnd the earth was without form, and void.\n';

describe('text data: tokens, validation split, windows', () => {
  it('reads the byte-level parent\'s tokenizer as a byte table that agrees with the tokenizer on non-ASCII text', () => {
    const file = findTokenizer(exampleModel)!;
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const table = byteTokenTable(json)!;
    assert.ok(table, 'a byte-level BPE without merges');
    const config = JSON.parse(fs.readFileSync(path.join(exampleDir, 'tokenizer_config.json'), 'utf8'));
    const ids = new Tokenizer(json, config).encode(TEXT, { add_special_tokens: false }).ids;
    assert.deepEqual(ids, Array.from(Buffer.from(TEXT, 'utf8'), (b) => table[b]));
    assert.equal(byteTokenTable({ ...json, model: { ...json.model, merges: [['a', 'b']] } }), undefined, 'merges: not a byte table');
  });

  it('holds out the last 5% of bytes, cut at a character boundary, and tokenizes both parts', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'text.txt');
      const text = TEXT.repeat(20);
      fs.writeFileSync(file, text);
      const bytes = Buffer.from(text, 'utf8');
      const tokens = loadTextTokens(file);
      assert.equal(tokens.tokenizer, 'bytes');
      assert.ok(tokens.splitByte >= Math.floor(bytes.length * 0.95));
      assert.notEqual(bytes[tokens.splitByte] & 0xc0, 0x80, 'the split is not inside a character');
      assert.deepEqual(Array.from(tokens.train), Array.from(bytes.subarray(0, tokens.splitByte)));
      assert.deepEqual(Array.from(tokens.validation), Array.from(bytes.subarray(tokens.splitByte)));
      const viaTokenizer = loadTextTokens(file, { tokenizer: findTokenizer(exampleModel) });
      assert.deepEqual(viaTokenizer.train, tokens.train, 'the byte-level tokenizer gives the bytes');
    } finally {
      cleanup();
    }
  });

  it('tokenizes with tokenizer.json in pieces exactly as in one piece', () => {
    const { dir, cleanup } = tempDir();
    try {
      const json = JSON.parse(fs.readFileSync(findTokenizer(exampleModel)!, 'utf8'));
      json.model.vocab = { ...json.model.vocab, th: 256, 'Ġth': 257 };
      json.model.merges = ['t h', 'Ġ th'];
      const tokenizerFile = path.join(dir, 'tokenizer.json');
      fs.writeFileSync(tokenizerFile, JSON.stringify(json));
      const text = TEXT.repeat(3000); // several pieces of 64K characters
      const file = path.join(dir, 'text.txt');
      fs.writeFileSync(file, text);
      const tokens = loadTextTokens(file, { tokenizer: tokenizerFile });
      const bytes = Buffer.from(text, 'utf8');
      const whole = new Tokenizer(json, {});
      const expected = whole.encode(new TextDecoder().decode(bytes.subarray(0, tokens.splitByte)), { add_special_tokens: false }).ids;
      assert.ok(expected.includes(257), 'the merges apply');
      assert.deepEqual(Array.from(tokens.train), expected);
    } finally {
      cleanup();
    }
  });

  it('splits the shared parent\'s text where the parent was validated (Colossians 1:16 on)', () => {
    const tokens = loadTextTokens(path.join(exampleDir, 'kjv.txt'), { tokenizer: findTokenizer(exampleModel) });
    assert.equal(tokens.splitByte, Math.floor(tokens.totalBytes * 0.95));
    assert.equal(tokens.train.length + tokens.validation.length, tokens.totalBytes);
  });

  it('draws training windows from (seed, label) and spreads held-out windows evenly', () => {
    const a = randomWindows(1000, 65, 8, 3, 'batch:0');
    assert.deepEqual(randomWindows(1000, 65, 8, 3, 'batch:0'), a);
    assert.notDeepEqual(randomWindows(1000, 65, 8, 3, 'batch:1'), a);
    assert.ok(a.every((s) => s >= 0 && s + 65 <= 1000));
    const even = evenWindows(1000, 65, 'all');
    assert.equal(even.length, 15);
    even.slice(1).forEach((s, k) => assert.ok(s - even[k] >= 65, 'non-overlapping'));
    assert.deepEqual(evenWindows(1000, 65, 4), [0, 250, 500, 750]);
    assert.throws(() => randomWindows(10, 65, 1, 0, 'x'), /fewer than one window/);
  });
});
