/**
 * A reason the server cannot start, worded as what the operator should do; src/main.ts prints it as one line.
 * Raised where the cause is known (the data folder lock); src/startup-failure.ts words the errors of drivers and
 * the file system the same way.
 */
export class StartupError extends Error {}
