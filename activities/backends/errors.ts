/** Errors a backend raises for conditions the caller caused; activities turn them into typed failures. */
export class HostingError extends Error {
  constructor(
    message: string,
    readonly kind: 'NotFound' | 'Conflict',
  ) {
    super(message);
    this.name = 'HostingError';
  }
}

/** A job's input data does not exist: retrying cannot help until someone provides it. */
export class MissingInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingInputError';
  }
}

/**
 * A key that can never name an object or file here (it would escape its folder, is too long for a
 * file name, ...): bad input that no retry can fix. Activities turn it into a non-retryable
 * InvalidInput failure.
 */
export class InvalidObjectKeyError extends Error {
  constructor(
    readonly uri: string,
    readonly rule: string,
  ) {
    super(`invalid object URI '${uri}': ${rule}`);
    this.name = 'InvalidObjectKeyError';
  }
}
