// The catalogue: every session the differential test runs, and the allowlist of the differences
// from Apache Kafka that Samsa keeps on purpose, each with its reason. One module per area.
import type { AllowEntry, Session } from '../harness.js';
import * as admin from './admin.js';
import * as adminConfigs from './admin-configs.js';
import * as golden from './golden.js';
import * as groupOffsets from './group-offsets.js';
import * as groups from './groups.js';
import * as idempotence from './idempotence.js';
import * as metadata from './metadata.js';
import * as produce from './produce.js';
import * as fetch from './fetch.js';
import * as transactions from './transactions.js';

const modules: { sessions: Session[]; allow: AllowEntry[] }[] = [metadata, admin, adminConfigs, produce, fetch, groups, groupOffsets, idempotence, transactions, golden];

export const sessions: Session[] = modules.flatMap((m) => m.sessions);
export const allowlist: AllowEntry[] = modules.flatMap((m) => m.allow);
