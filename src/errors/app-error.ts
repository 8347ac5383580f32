/**
 * The one error set clients can see. Each code has one HTTP status; REST (src/rest/error-handler.ts) and GraphQL
 * (src/schema/mask-error.ts) map from this table and nothing else.
 */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  /** A GraphQL request over one of its limits (depth, aliases, cost, rows, bytes, deadline…). */
  QUERY_TOO_COMPLEX: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  UPSTREAM_ERROR: 502,
  UPSTREAM_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  path: string;
  message: string;
  [extra: string]: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];

  constructor(code: ErrorCode, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const validationError = (message: string, details: ErrorDetail[] = []) =>
  new AppError("VALIDATION_ERROR", message, details);
export const notFound = (message: string, details: ErrorDetail[] = []) => new AppError("NOT_FOUND", message, details);
export const conflict = (message: string, details: ErrorDetail[] = []) => new AppError("CONFLICT", message, details);
export const unauthorized = (message = "Missing or invalid bearer token") => new AppError("UNAUTHORIZED", message);
export const forbidden = (message: string, details: ErrorDetail[] = []) => new AppError("FORBIDDEN", message, details);
export const rateLimited = (message: string, details: ErrorDetail[] = []) =>
  new AppError("RATE_LIMITED", message, details);
export const payloadTooLarge = (message: string) => new AppError("PAYLOAD_TOO_LARGE", message);

export const INTERNAL_MESSAGE = "Unexpected server error";
