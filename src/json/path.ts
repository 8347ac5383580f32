/** A JSON value's place as error details name it: keys and array indexes joined by dots (`data.items.0.name`). */
export const joinPath = (segments: ReadonlyArray<string | number>): string => segments.join(".");
