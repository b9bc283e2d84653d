/**
 * The one error every decoder throws. `path` names where decoding stopped, e.g.
 * `ProduceRequest v9 topicData.partitionData.records`; callers map it to
 * CORRUPT_MESSAGE / INVALID_REQUEST or close the connection.
 */
export class KafkaDecodeError extends Error {
  override readonly name = 'KafkaDecodeError';
  constructor(
    public readonly reason: string,
    public readonly path: string,
    public readonly offset: number,
  ) {
    super(`${path}: ${reason} (at byte ${offset})`);
  }

  /** The same error with the message being decoded (e.g. `FetchRequest v12`) in front of the path. */
  withContext(context: string): KafkaDecodeError {
    return new KafkaDecodeError(this.reason, this.path ? `${context} ${this.path}` : context, this.offset);
  }
}

/** Thrown by encoders when a value cannot be carried by the chosen version (Kafka's UnsupportedVersionException). */
export class KafkaEncodeError extends Error {
  override readonly name = 'KafkaEncodeError';
}
