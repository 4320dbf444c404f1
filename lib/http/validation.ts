/**
 * Input validation: zod/mini (zod 4's functional API, which a bundler can tree-shake: about
 * 25 KB in a bundle where classic `zod` took 445 KB), the one place a schema is run, and the
 * shared schemas (identifiers, page tokens, `?limit=`).
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { BadRequestError } from '../errors';

/**
 * zod/mini carries no messages of its own ("Invalid input" for everything): the English locale,
 * which classic zod loads by default, keeps every 400's details as they were. zod's config is
 * global; every service reaches zod through this module (lib/http/service.ts imports `validate`),
 * so it is set here, before any schema runs.
 */
z.config(en());

/** `path: message` per issue, as a 400's `details`. */
const issueDetails = (error: z.core.$ZodError): string[] =>
  error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message));

/** `input` parsed by `schema`, or a 400 (`code`, "The <what> is invalid", the issues as details). */
export const validate = <T>(schema: z.ZodMiniType<T>, input: unknown, code: string, what: string): T => {
  const result = schema.safeParse(input);
  if (!result.success) throw new BadRequestError(code, `The ${what} is invalid`, issueDetails(result.error));
  return result.data;
};

/** Product and branch identifiers: short, URL-safe, case-sensitive. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const idSchema = z.string().check(z.regex(ID_PATTERN, 'must be 1-64 letters, digits, "-" or "_"'));

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
  z.pipe(
    z.optional(
      z.pipe(
        z.pipe(z.string().check(z.regex(/^\d{1,4}$/, 'must be an integer')), z.transform(Number)),
        z.number().check(z.int(), z.gte(1), z.lte(max)),
      ),
    ),
    z.transform((value: number | undefined) => value ?? fallback),
  );
