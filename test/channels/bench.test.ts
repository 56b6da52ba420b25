import { describe, expect, it } from 'vitest';
import { benchChannelNetwork, benchChannelUpdates, benchKeys, benchRouting, CHANNEL_STATE_API, SignedChannel, type StateApi } from '../../analysis/channel-bench.ts';

describe('bench channels', () => {
  it('each update is really signed and verified: a bad signature or secret stops it', () => {
    const api = CHANNEL_STATE_API;
    const [ka, kb] = benchKeys(1, 2);
    const ch = new SignedChannel(api, 'c', ka, kb, 1000n, 1000n, 's');
    ch.update('a', { balanceA: 990n, balanceB: 1010n, htlcs: [] });
    expect(ch.state.seq).toBe(1);
    // A receiver whose signature is made with the wrong key fails verification.
    const forging: StateApi = { ...api, signState: (s, sk) => api.signState(s, sk === kb.secretKey ? ka.secretKey : sk) };
    const bad = new SignedChannel(forging, 'c', ka, kb, 1000n, 1000n, 's');
    expect(() => bad.update('a', { balanceA: 990n, balanceB: 1010n, htlcs: [] })).toThrow('receiver signature on state 1 does not verify');
    // A revocation secret that does not open the old hash is refused.
    let calls = 0;
    const lying: StateApi = { ...api, revocationSecret: (seed, c, seq) => (seq === 0 && ++calls > 2 ? 'f'.repeat(64) : api.revocationSecret(seed, c, seq)) };
    const liar = new SignedChannel(lying, 'c', ka, kb, 1000n, 1000n, 's');
    expect(() => liar.update('b', { balanceA: 1010n, balanceB: 990n, htlcs: [] })).toThrow('revocation secret for state 0 does not match');
  });

  it('measures a channel and a small network with every HTLC step a signed update', () => {
    const api = CHANNEL_STATE_API;
    const one = benchChannelUpdates(api, { updates: 50 });
    expect(one.updates).toBe(50);
    expect(one.updatesPerWallSec).toBeGreaterThan(0);
    expect(one.signUs).toBeGreaterThan(0);
    expect(one.verifyUs).toBeGreaterThan(0);
    const net = benchChannelNetwork(api, { nodes: 60, payments: 80 });
    expect(net).toMatchObject({ nodes: 60, channels: 117, payments: 80 });
    expect(net.succeeded).toBeGreaterThan(60);
    // Every successful payment of h hops is h adds and h settles; failed attempts add and fail back.
    expect(net.stateUpdates).toBeGreaterThanOrEqual(2 * 2 * net.succeeded);
    expect(net.stateUpdates % 2).toBe(0);
    const routing = benchRouting({ nodes: 60, routes: 100 });
    expect(routing).toMatchObject({ nodes: 60, routes: 100 });
    expect(routing.found).toBeGreaterThan(90);
  });
});
