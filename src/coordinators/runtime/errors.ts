/** A request a coordinator cannot serve as a whole: the partition is loading, not here (any more), or the coordinator is stopping. */
export class CoordinatorError extends Error {
  override readonly name = 'CoordinatorError';
  constructor(
    readonly code: number,
    message?: string,
  ) {
    super(message ?? `coordinator error ${code}`);
  }
}
