import { Prisma } from "../generated/prisma/client.ts";

/**
 * Instants cross the driver as epoch milliseconds: a float8 is read with parseFloat, where timestamptz text goes
 * through a regular expression per value (a measurable share of reading a page of records). date_part is float8
 * arithmetic; its rounding error is far below half a millisecond, and timestamps here have millisecond precision,
 * so `instant` rounds back to the exact value.
 */
export const epochMs = (column: string) => Prisma.raw(`date_part('epoch', ${column}) * 1000`);

export const instant = (value: unknown): Date => new Date(Math.round(value as number));

export const optionalInstant = (value: unknown): Date | null => (value === null ? null : instant(value));
