/** One reviewed schema change: applied with `up`, reverted with `down`, each in one transaction. */
export interface Migration {
  /** `<UTC timestamp>_<what it does>`; migrations apply in id order. */
  readonly id: string;
  readonly up: string;
  readonly down: string;
}
