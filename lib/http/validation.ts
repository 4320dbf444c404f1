/** Shared input schemas: identifiers as the services accept them. */
import { z } from 'zod';
import { BadRequestError } from '../errors';

/** Product and branch identifiers: short, URL-safe, case-sensitive. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const idSchema = z.string().regex(ID_PATTERN, 'must be 1-64 letters, digits, "-" or "_"');

/** A path parameter that must be an identifier (400 with the reason otherwise). */
export const pathId = (params: Record<string, string>, name: string): string => {
  const value = params[name];
  const parsed = idSchema.safeParse(value);
  if (!parsed.success) {
    throw new BadRequestError('invalid_path', `The path parameter ${name} is invalid`, [`${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`]);
  }
  return parsed.data;
};

/** Opaque pagination tokens: base64url JSON of a DynamoDB key whose values are all strings. */
export const encodePageToken = (key: Record<string, unknown>): string =>
  Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

export const decodePageToken = (token: string, keyNames: readonly string[]): Record<string, string> => {
  const invalid = () => new BadRequestError('invalid_query', 'The query string is invalid', ['nextToken: is not a token this API issued']);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw invalid();
  const entries = Object.entries(decoded);
  if (entries.length !== keyNames.length || !entries.every(([k, v]) => keyNames.includes(k) && typeof v === 'string' && ID_PATTERN.test(v))) {
    throw invalid();
  }
  return Object.fromEntries(entries);
};

/** `?limit=` as an integer in [1, max]. */
export const limitSchema = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,4}$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))
    .optional()
    .transform((value) => value ?? fallback);
