// KIP-430 authorized operations, as bit fields of Kafka's AclOperation codes. With no authorizer
// every operation a resource type supports is allowed, and Kafka reports exactly those.
/** Kafka's "not requested" value. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** AclOperation codes (org.apache.kafka.common.acl.AclOperation). */
const Op = { READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12 } as const;

const bits = (...ops: number[]) => ops.reduce((acc, op) => acc | (1 << op), 0);

/** What a topic supports: READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS. */
export const TOPIC_OPERATIONS = bits(Op.READ, Op.WRITE, Op.CREATE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS);
/** What the cluster supports: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE. */
export const CLUSTER_OPERATIONS = bits(Op.CREATE, Op.ALTER, Op.DESCRIBE, Op.CLUSTER_ACTION, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE);
/** What a group supports: READ, DELETE, DESCRIBE, and since KIP-848 group configs DESCRIBE_CONFIGS, ALTER_CONFIGS (Kafka 4.1's answer). */
export const GROUP_OPERATIONS = bits(Op.READ, Op.DELETE, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS);
