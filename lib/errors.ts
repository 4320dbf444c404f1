/**
 * The one error module. Every failure a client can be told about is a subclass of
 * `GatewayError`, carrying an HTTP status, a stable machine-readable code and a message
 * written for people. The `cause` stays on the server side (logs only).
 *
 * Anything thrown that is *not* a GatewayError is a bug and becomes a plain 500 with no
 * detail (see `lib/http/service.ts`).
 */
export abstract class GatewayError extends Error {
  abstract readonly statusCode: number;
  /** Stable code clients can branch on, e.g. `invalid_body`, `forbidden`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  /** The public body: never the cause, never a stack. */
  toJSON(): { error: string; message: string; details?: string[] } {
    return { error: this.code, message: this.message };
  }
}

export class BadRequestError extends GatewayError {
  readonly statusCode = 400;
  readonly details: string[];

  constructor(code: string, message: string, details: string[] = [], options?: { cause?: unknown }) {
    super(code, message, options);
    this.details = details;
  }

  override toJSON() {
    return this.details.length > 0 ? { ...super.toJSON(), details: this.details } : super.toJSON();
  }
}

export class UnauthorizedError extends GatewayError {
  readonly statusCode = 401;
  constructor(code = 'unauthorized', message = 'Missing or invalid credentials', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export class ForbiddenError extends GatewayError {
  readonly statusCode = 403;
  constructor(code = 'forbidden', message = 'You are not allowed to do this', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export class NotFoundError extends GatewayError {
  readonly statusCode = 404;
  constructor(code = 'not_found', message = 'Not found', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export class ConflictError extends GatewayError {
  readonly statusCode = 409;
  constructor(code = 'conflict', message = 'Conflict', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export class TooManyRequestsError extends GatewayError {
  readonly statusCode = 429;
  constructor(code = 'too_many_requests', message = 'Too many requests, try again later', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export class ServiceUnavailableError extends GatewayError {
  readonly statusCode = 503;
  constructor(
    code = 'service_unavailable',
    message = 'A service this request depends on is unavailable, try again later',
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Thrown at cold start when configuration is missing or wrong: a deployment bug, never a client's. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

export const isGatewayError = (error: unknown): error is GatewayError => error instanceof GatewayError;

/** The error name of an AWS SDK v3 service exception (`NotAuthorizedException`, ...), if any. */
export const awsErrorName = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
    ? error.name
    : undefined;

/**
 * The one list of failures that say "not now" rather than "no": a dependency (DynamoDB, Cognito)
 * throttling, overloaded, timing out or unreachable. Callers retry them a bounded number of
 * times; the HTTP adapter answers them with 503 and `retry-after`.
 */
export const TRANSIENT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'AbortError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalErrorException',
  'TooManyRequestsException',
]);

const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** Whether `error` (or a DynamoDB `__type` name) is a transient failure of a dependency. */
export const isTransientError = (error: unknown): boolean => {
  const name = typeof error === 'string' ? error : awsErrorName(error);
  if (name && TRANSIENT_ERROR_NAMES.has(name)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_ERROR_CODES.has(code);
};
