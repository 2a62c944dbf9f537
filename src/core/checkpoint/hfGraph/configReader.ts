import { SubcloneError } from '../../errors';
import { quote } from '../../quote';

/**
 * Typed reads of a Hugging Face config.json: each field with the default its configuration class gives it, and a
 * message naming the file and the field when a value has the wrong type. Fields a family does not implement are
 * refused with "not supported yet" (Unsupported), before any work.
 */
export class ConfigReader {
  constructor(
    readonly raw: Readonly<Record<string, unknown>>,
    /** The config file, for messages. */
    readonly file: string,
  ) {}

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  /** A whole number ≥ 1 (sizes, counts). */
  count(key: string, fallback?: number): number {
    const v = this.value(key, fallback);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw this.bad(key, v, 'a whole number ≥ 1');
    return v;
  }

  /** A whole number ≥ 0 (token ids, indices). */
  index(key: string, fallback?: number): number {
    const v = this.value(key, fallback);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw this.bad(key, v, 'a whole number ≥ 0');
    return v;
  }

  /** A finite number. */
  number(key: string, fallback?: number): number {
    const v = this.value(key, fallback);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.bad(key, v, 'a number');
    return v;
  }

  /** A positive number (epsilons, bases, factors). */
  positive(key: string, fallback?: number): number {
    const v = this.number(key, fallback);
    if (!(v > 0)) throw this.bad(key, v, 'a number > 0');
    return v;
  }

  boolean(key: string, fallback?: boolean): boolean {
    const v = this.value(key, fallback);
    if (typeof v !== 'boolean') throw this.bad(key, v, 'true or false');
    return v;
  }

  string(key: string, fallback?: string): string {
    const v = this.value(key, fallback);
    if (typeof v !== 'string') throw this.bad(key, v, 'a string');
    return v;
  }

  /** An object field (rope_scaling, …), or undefined when absent or null. */
  object(key: string): ConfigReader | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw this.bad(key, v, 'an object');
    return new ConfigReader(v as Record<string, unknown>, `${this.file} → ${key}`);
  }

  /** A number, or one number per element when the field is a list ([h, w] image sizes). */
  pair(key: string, fallback?: number): [number, number] {
    const v = this.value(key, fallback);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 1)) return [v[0], v[1]];
    throw this.bad(key, v, 'a whole number ≥ 1 or a pair of them');
  }

  /** Refuses a field whose value this family does not implement (the field's default is accepted). */
  requireDefault(key: string, accepted: readonly unknown[], what?: string): void {
    const v = this.raw[key];
    if (v === undefined || accepted.some((a) => a === v)) return;
    throw new SubcloneError('Unsupported', `not supported yet: ${what ?? `${key} = ${JSON.stringify(v)}`} (${this.file})`);
  }

  private value(key: string, fallback: unknown): unknown {
    const v = this.raw[key];
    if (v !== undefined && v !== null) return v;
    if (fallback !== undefined) return fallback;
    throw new SubcloneError('BadModel', `${this.file} has no ${quote(key)}, which a ${String(this.raw.model_type)} config needs`);
  }

  private bad(key: string, v: unknown, expected: string): SubcloneError {
    return new SubcloneError('BadModel', `${this.file}: ${quote(key)} is ${JSON.stringify(v)}; it must be ${expected}`);
  }
}
