/**
 * Selfish mining closed form: Eyal & Sirer, "Majority is not enough: Bitcoin mining is
 * vulnerable", FC 2014, §4.2 Eq. 8 — the selfish pool's relative revenue
 *
 *   R_pool = [α(1 − α)²(4α + γ(1 − 2α)) − α³] / [1 − α(1 + (2 − α)α)]
 *
 * for hash share α and the share γ of honest miners that mine on the pool's block in a tie.
 */

/** Eyal & Sirer 2014, Eq. 8: the selfish pool's relative revenue. */
export function selfishRevenue(alpha: number, gamma: number): number {
  const a = alpha;
  return (a * (1 - a) ** 2 * (4 * a + gamma * (1 - 2 * a)) - a ** 3) / (1 - a * (1 + (2 - a) * a));
}
