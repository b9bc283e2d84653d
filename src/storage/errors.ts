/**
 * Errors the storage layer throws. Each carries the Kafka protocol error code the broker answers
 * with (`errorCode`), so the broker maps them without knowing storage internals.
 */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    message: string,
    /** Kafka protocol error code (e.g. 1 OFFSET_OUT_OF_RANGE, 56 KAFKA_STORAGE_ERROR). */
    readonly errorCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** OFFSET_OUT_OF_RANGE (1): fetch offset below log start or above log end. */
export class OffsetOutOfRangeError extends StorageError {
  override name = 'OffsetOutOfRangeError';
  constructor(message: string) {
    super(message, 1);
  }
}

/** CORRUPT_MESSAGE (2): appended bytes are not well-framed v2 batches. */
export class CorruptRecordError extends StorageError {
  override name = 'CorruptRecordError';
  constructor(message: string) {
    super(message, 2);
  }
}

/** MESSAGE_TOO_LARGE (10): a batch is larger than max.message.bytes. */
export class RecordTooLargeError extends StorageError {
  override name = 'RecordTooLargeError';
  constructor(message: string) {
    super(message, 10);
  }
}

/** RECORD_LIST_TOO_LARGE (18): a batch is larger than segment.bytes. */
export class RecordBatchTooLargeError extends StorageError {
  override name = 'RecordBatchTooLargeError';
  constructor(message: string) {
    super(message, 18);
  }
}

/**
 * Follower/recovery append whose offsets are not monotonic or start below the log end
 * (Kafka's UnexpectedAppendOffsetException / OffsetsOutOfOrderException; UNKNOWN_SERVER_ERROR on the wire).
 */
export class OffsetsOutOfOrderError extends StorageError {
  override name = 'OffsetsOutOfOrderError';
  constructor(message: string) {
    super(message, -1);
  }
}

/**
 * KAFKA_STORAGE_ERROR (56): an I/O error left the partition in an unknown state; it is taken
 * offline (every later call throws this) until the broker restarts and recovers it.
 */
export class KafkaStorageError extends StorageError {
  override name = 'KafkaStorageError';
  constructor(message: string, cause?: unknown) {
    super(message, 56, { cause });
  }
}
