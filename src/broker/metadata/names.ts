/** Kafka's rules for topic names and ids, shared by the controller side and the admin handlers. */
import { randomBytes } from 'node:crypto';

export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

/** A random id in Kafka's Uuid text form (never the reserved zero or one ids). */
export function randomUuid(): string {
  for (;;) {
    const b = randomBytes(16);
    const text = b.toString('base64url');
    if (!b.equals(Buffer.alloc(16)) && !b.equals(Buffer.from([...Array(15).fill(0), 1])) && !text.startsWith('-')) return text;
  }
}

/** Kafka's topic name rules (Topic.validate). Returns a reason, or undefined when valid. */
export function invalidTopicName(name: string): string | undefined {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > 249) return `Topic name is illegal, it can't be longer than 249 characters, topic name: ${name}`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `Topic name ${name} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return undefined;
}
