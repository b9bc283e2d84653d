/** Which partition of a coordinator's internal topic owns a key: Kafka's partitionFor, shared by both coordinators. */

/** Java's String.hashCode over UTF-16 code units. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Kafka's Utils.abs: Math.abs, except that Integer.MIN_VALUE gives 0. (Not the bit mask
 * `x & 0x7fffffff` — that is Utils.toPositive, used by the producer's partitioner; the two differ
 * for every negative hash.)
 */
export function javaUtilsAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** Utils.abs(key.hashCode()) % partitions: a group id in `__consumer_offsets`, a transactional id in `__transaction_state`. */
export function partitionForKey(key: string, partitions: number): number {
  return javaUtilsAbs(javaStringHashCode(key)) % partitions;
}
