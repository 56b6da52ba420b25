/**
 * Adversary kinds, by the name used in scenarios (`protocol.adversaries[].kind`).
 * `crash` is not a Byzantine implementation: the module schedules kernel crash/recover events.
 */
export { SilentReplica } from './silent.ts';
export { WithholdingReplica, type WithheldVotes } from './withhold.ts';
export { DelayingReplica } from './delay.ts';
export { SlowPrimary } from './slow-primary.ts';
export { EquivocatingPrimary } from './equivocate.ts';
export { DoubleVotingReplica } from './double-vote.ts';
export { BadAuthReplica } from './bad-auth.ts';
export { Cartel, CartelReplica } from './cartel.ts';
export { RequestForgingPrimary } from './forge-requests.ts';
export { TwinCopy, TwinOriginal } from './twins.ts';
export { InterceptContext, ReplicaWrapper } from './wrap.ts';

export const ADVERSARY_KINDS = ['crash', 'silent', 'equivocate', 'double-vote', 'withhold', 'delay', 'bad-auth', 'slow-primary', 'cartel', 'forge-requests'] as const;
export type AdversaryKind = (typeof ADVERSARY_KINDS)[number];
