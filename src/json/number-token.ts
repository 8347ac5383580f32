/**
 * Whether a JSON number, as written, survives being read into a JavaScript number and stored. JSON itself has no
 * range, so a parser silently turns `1e309` into Infinity (stored as null), `1e-400` into 0 and
 * `9007199254740993` into its even neighbour; these are refused instead. An integer a double holds exactly is kept
 * exactly, however large (`9007199254740992`, `100000000000000000000`), and so is one that reads back as written
 * (`38085015923819690`, what JavaScript itself writes for the double nearest to it). A float written with more digits than a
 * double holds (`0.1000000000000000055`) is an approximation by nature and is kept as the nearest double.
 */

const INTEGER_TOKEN = /^-?\d+$/;

/**
 * Cheap pre-check on raw JSON text: a number can only overflow, underflow or lose integer digits if it has a
 * three-digit exponent or sixteen digits in a row. Strings may match too, which only costs the exact scan.
 */
export const MAY_HOLD_UNFAITHFUL_NUMBER = /\d{16}|\d[eE][+-]?\d{3}/;

const shown = (token: string) => (token.length > 40 ? `${token.slice(0, 37)}...` : token);

/** Why the number token cannot be stored as written, or undefined when it can. */
export function numberTokenProblem(token: string): string | undefined {
  const value = Number(token);
  if (!Number.isFinite(value)) {
    return `${shown(token)} is beyond the range of a stored number (about ±1.8e308)`;
  }
  if (value === 0 && /[1-9]/.test(token.split(/[eE]/)[0] ?? "")) {
    return `${shown(token)} is too small to be stored and would become 0`;
  }
  // Kept when it reads back as written (what JavaScript writes for a double) or the double is exactly the integer.
  if (
    INTEGER_TOKEN.test(token) &&
    !Number.isSafeInteger(value) &&
    String(value) !== token &&
    BigInt(token) !== BigInt(value)
  ) {
    return `${shown(token)} is an integer a double cannot hold exactly (it would become ${String(value)}); send it as a string`;
  }
  return undefined;
}
