/**
 * The one error of the control plane's services (cnpmcore's layering:
 * controller → service → store). Services say what went wrong in domain
 * terms; the REST API (`api/http.ts`) turns a kind into a status, and the CLI
 * prints the message. Services never check permissions: callers do.
 */

/** What kind of refusal: bad input, a clash with what exists, something missing. */
export type DomainErrorKind = 'invalid' | 'conflict' | 'not_found';

/** A refusal by a control-plane service. */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Shorthand for invalid input. */
export const invalid = (message: string) => new DomainError('invalid', message);
