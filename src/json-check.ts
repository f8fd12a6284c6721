/**
 * Small hand-written readers for parsed JSON that arrives on a hot path (every MQTT message,
 * every Google fulfillment request): no schema library to load (zod alone costs a Homebridge
 * process ~13 MiB, docs/performance.md) and no allocation beyond the value read. A reader
 * returns the value or throws `Invalid` naming the first bad field by its dotted path
 * (`0.type`, `inputs.0.payload`), with the wording zod used before, so logs and answers
 * stayed the same when zod went.
 */

/** Reads one value found at `path` (dotted, '' for the whole document); throws `Invalid` if it is not acceptable. */
export type Reader<T> = (value: unknown, path: string) => T;

export class Invalid extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(path === '' ? problem : `${path}: ${problem}`);
  }
}

/** Runs `read` on `value`; the reason (`path: problem`) instead of a throw. */
export function check<T>(read: Reader<T>, value: unknown): { ok: true; value: T } | { ok: false; invalid: Invalid } {
  try {
    return { ok: true, value: read(value, '') };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, invalid: e };
    throw e;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  return typeof value;
}

function expected(what: string, value: unknown, path: string): never {
  throw new Invalid(path, `Invalid input: expected ${what}, received ${kindOf(value)}`);
}

export const at = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);

export const boolean: Reader<boolean> = (value, path) => (typeof value === 'boolean' ? value : expected('boolean', value, path));

function finite(value: unknown, path: string): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : expected('number', value, path);
}

export function number(min: number, max: number): Reader<number> {
  return (value, path) => {
    const n = finite(value, path);
    if (n < min) throw new Invalid(path, `Too small: expected number to be >=${min}`);
    if (n > max) throw new Invalid(path, `Too big: expected number to be <=${max}`);
    return n;
  };
}

/** A safe integer ≥ min. */
export function integer(min: number): Reader<number> {
  return (value, path) => {
    const n = finite(value, path);
    if (!Number.isInteger(n)) throw new Invalid(path, 'Invalid input: expected int, received number');
    if (n > Number.MAX_SAFE_INTEGER) throw new Invalid(path, `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`);
    if (n < Number.MIN_SAFE_INTEGER) throw new Invalid(path, `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`);
    if (n < min) throw new Invalid(path, `Too small: expected number to be >=${min}`);
    return n;
  };
}

/** A string of at most `max` (and at least `min`) UTF-16 code units. */
export function text(max: number, min = 0): Reader<string> {
  return (value, path) => {
    if (typeof value !== 'string') return expected('string', value, path);
    if (value.length > max) throw new Invalid(path, `Too big: expected string to have <=${max} characters`);
    if (value.length < min) throw new Invalid(path, `Too small: expected string to have >=${min} characters`);
    return value;
  };
}

export function oneOf<const T extends string>(options: readonly T[]): Reader<T> {
  const problem = `Invalid option: expected one of ${options.map((o) => JSON.stringify(o)).join('|')}`;
  return (value, path) => {
    if ((options as readonly unknown[]).includes(value)) return value as T;
    throw new Invalid(path, problem);
  };
}

/** An array of `min`..`max` items (its length is checked before its items). */
export function list<T>(item: Reader<T>, max: number, min = 0): Reader<T[]> {
  const bound = (limit: number, op: string) => `expected array to have ${min === max ? 'exactly' : op}${limit} items`;
  return (value, path) => {
    if (!Array.isArray(value)) return expected('array', value, path);
    if (value.length > max) throw new Invalid(path, `Too big: ${bound(max, '<=')}`);
    if (value.length < min) throw new Invalid(path, `Too small: ${bound(min, '>=')}`);
    return value.map((v: unknown, i) => item(v, at(path, i)));
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Any JSON object, as it is (free-form data such as a command's parameters). */
export const record: Reader<Record<string, unknown>> = (value, path) => (isObject(value) ? value : expected('record', value, path));

type Fields = Record<string, Reader<unknown>>;
type Read<F extends Fields> = { [K in keyof F]: F[K] extends Reader<infer V> ? V : never };

/**
 * An object with `required` fields, then `optional` ones, checked in that order; other keys
 * are dropped, absent optional ones stay absent (a new object, keys in this order).
 */
export function shape<R extends Fields, O extends Fields>(required: R, optional: O): Reader<Read<R> & Partial<Read<O>>> {
  const mandatory = Object.entries(required);
  const extra = Object.entries(optional);
  return (value, path) => {
    if (!isObject(value)) return expected('object', value, path);
    const out: Record<string, unknown> = {};
    for (const [key, read] of mandatory) out[key] = read(value[key], at(path, key));
    for (const [key, read] of extra) {
      const v = value[key];
      if (v !== undefined) out[key] = read(v, at(path, key));
    }
    return out as Read<R> & Partial<Read<O>>;
  };
}

/** An object whose `tag` field says which reader reads it (each variant checks the tag again). */
export function tagged<T>(tag: string, variants: Record<string, Reader<T>>): Reader<T> {
  const names = Object.keys(variants);
  const problem = `Invalid discriminator value. Expected ${names.map((n) => `'${n}'`).join(' | ')}`;
  return (value, path) => {
    if (!isObject(value)) return expected('object', value, path);
    const name = value[tag];
    const read = typeof name === 'string' && Object.hasOwn(variants, name) ? variants[name] : undefined;
    if (!read) throw new Invalid(at(path, tag), problem);
    return read(value, path);
  };
}

/** Exactly this string. */
export function literal<const T extends string>(expectedValue: T): Reader<T> {
  return (value, path) => {
    if (value === expectedValue) return expectedValue;
    throw new Invalid(path, `Invalid input: expected ${JSON.stringify(expectedValue)}`);
  };
}
