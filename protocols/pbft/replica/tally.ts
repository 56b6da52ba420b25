/**
 * A vote tally: which members voted for which digest, one bit per member. The one tally behind
 * prepares and commits (per sequence number and view, TOCS'02 §4.2) and checkpoints (per
 * sequence number, §4.3): a member's vote counts once per digest; votes for different digests
 * are kept apart (a Byzantine member may vote for several — only matching votes form a quorum).
 */
export class VoteTally {
  private readonly entries: { digest: string; bits: Uint8Array; count: number }[] = [];

  /**
   * Records member `voter`'s vote (its index in a committee of `members`) for `digest`; returns
   * the number of distinct members that voted for it, or 0 if this member's vote was already in.
   */
  add(digest: string, voter: number, members: number): number {
    let t: { digest: string; bits: Uint8Array; count: number } | undefined;
    for (const x of this.entries) if (x.digest === digest) t = x;
    if (!t) this.entries.push((t = { digest, bits: new Uint8Array(members), count: 0 }));
    if (t.bits[voter]) return 0;
    t.bits[voter] = 1;
    return ++t.count;
  }

  /** Distinct members that voted for `digest`. */
  count(digest: string): number {
    for (const t of this.entries) if (t.digest === digest) return t.count;
    return 0;
  }

  /** Whether member `voter` voted for `digest`. */
  voted(digest: string, voter: number): boolean {
    for (const t of this.entries) if (t.digest === digest) return t.bits[voter] === 1;
    return false;
  }

  /** How many different digests were voted for (more than one: conflicting votes). */
  get digests(): number {
    return this.entries.length;
  }
}
