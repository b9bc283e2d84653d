// (to be written) differential sessions for this area.
import type { AllowEntry, Session } from '../harness.js';

export const sessions: Session[] = [];
export const allow: AllowEntry[] = [];
