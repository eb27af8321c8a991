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
