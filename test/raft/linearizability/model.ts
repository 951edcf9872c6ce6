// What the checker needs to know about a sequential specification: a start state, a step that says whether
// an operation with its observed output is legal in a state (and the state after), and a hash for the
// memoization of (linearized set, state).

export interface Model<S, I, O> {
  init(): S;
  /** `output` is undefined for an operation that timed out: any output is acceptable. */
  step(state: S, input: I, output: O | undefined): { ok: boolean; state: S };
  hash(state: S): string;
  describe?(input: I, output: O | undefined): string;
}

/**
 * One client operation. `call` and `ret` are logical times from one counter shared by all clients. An
 * operation that timed out has ret = Infinity and output undefined: it may have taken effect at any point
 * after its call, or never.
 */
export interface Operation<I, O> {
  id: number;
  client: number;
  key: string;
  input: I;
  output: O | undefined;
  call: number;
  ret: number;
}
