import { type ErrorDetail, validationError } from "../errors/app-error.ts";

/** Collects every problem with a query before failing, so one response lists them all. */
export class Problems {
  readonly details: ErrorDetail[] = [];
  add(path: string, message: string): undefined {
    if (this.details.length < 50) this.details.push({ path, message });
    return undefined;
  }
  throwIfAny(message: string) {
    if (this.details.length) {
      const first = this.details[0];
      throw validationError(
        this.details.length === 1 && first ? `${message}: ${first.message}` : message,
        this.details,
      );
    }
  }
}
