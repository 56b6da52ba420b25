import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../sim/cli.ts';

// Every class of mistake a person makes in a scenario file, through the real CLI entry point:
// exit code 2, the file and line, the key path, what was expected, and no stack trace.

const dir = mkdtempSync(join(tmpdir(), 'medsim-bad-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const GOOD_TAIL = 'protocol:\n  name: gossip\n';

let stderr = '';
let stdout = '';
beforeEach(() => {
  stderr = '';
  stdout = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const cases: { name: string; text: string; extra?: () => void; expect: RegExp[] }[] = [
  {
    name: 'unknown key (did you mean)',
    text: `name: x\nduration: 1m\nnetwork:\n  nodes: 10\n  jiter: 0.1\n${GOOD_TAIL}`,
    expect: [/unknown\.yaml:5:\d+: network\.jiter: unknown key "jiter" — did you mean "jitter"\?/],
  },
  {
    name: 'wrong type',
    text: `name: x\nduration: 1m\nnetwork:\n  nodes: ten\n${GOOD_TAIL}`,
    expect: [/wrong-type\.yaml:4:\d+: network\.nodes: expected an integer/, /got "ten"/],
  },
  {
    name: 'bad unit',
    text: `name: x\nduration: 1 fortnight\nnetwork:\n  nodes: 10\n${GOOD_TAIL}`,
    expect: [/bad-unit\.yaml:2:\d+: duration: expected a positive duration with a unit, like .*unknown unit "fortnight"/],
  },
  {
    name: 'out-of-range number',
    text: `name: x\nduration: 1m\nnetwork:\n  nodes: 10\n  loss: 1.5\n${GOOD_TAIL}`,
    expect: [/out-of-range\.yaml:5:\d+: network\.loss: expected a probability from 0 to 1, got 1\.5/],
  },
  {
    name: 'missing required key',
    text: `name: x\nnetwork:\n  nodes: 10\n${GOOD_TAIL}`,
    expect: [/missing\.yaml:\d+:\d+: duration: .*(missing|required)/i],
  },
  {
    name: 'broken extends (missing file)',
    text: `extends: nowhere.yaml\nname: x\n`,
    expect: [/broken-extends\.yaml:1:\d+: extends: .*nowhere\.yaml/],
  },
  {
    name: 'extends cycle',
    text: `extends: cycle-other.yaml\nname: x\n`,
    extra: () => file('cycle-other.yaml', 'extends: extends-cycle.yaml\nname: y\n'),
    expect: [/cycle/i],
  },
  {
    name: 'YAML syntax error',
    text: `name: x\nnetwork:\n  topology: {kind: random, degree: 3\nprotocol:\n`,
    expect: [/syntax\.yaml:\d+:\d+: .*(YAML|flow|syntax|expected)/i],
  },
  {
    name: 'empty file',
    text: ``,
    expect: [/empty\.yaml.*empty/i],
  },
  {
    name: 'wrong protocol name (did you mean)',
    text: `name: x\nduration: 1m\nnetwork:\n  nodes: 10\nprotocol:\n  name: gosip\n`,
    expect: [/wrong-protocol\.yaml:6:\d+: protocol\.name: .*did you mean "gossip"\?/],
  },
];

const fileNames: Record<string, string> = {
  'unknown key (did you mean)': 'unknown.yaml',
  'wrong type': 'wrong-type.yaml',
  'bad unit': 'bad-unit.yaml',
  'out-of-range number': 'out-of-range.yaml',
  'missing required key': 'missing.yaml',
  'broken extends (missing file)': 'broken-extends.yaml',
  'extends cycle': 'extends-cycle.yaml',
  'YAML syntax error': 'syntax.yaml',
  'empty file': 'empty.yaml',
  'wrong protocol name (did you mean)': 'wrong-protocol.yaml',
};

describe('bad scenario input through the CLI', () => {
  for (const c of cases) {
    for (const command of ['run', 'validate']) {
      it(`${c.name}: medsim ${command} exits 2 with a located message and no stack`, async () => {
        c.extra?.();
        const p = file(fileNames[c.name], c.text);
        const code = await main([command, p, '--no-write'].filter((a) => command === 'run' || a !== '--no-write'));
        expect(code).toBe(2);
        for (const re of c.expect) expect(stderr).toMatch(re);
        expect(stderr).not.toMatch(/\n\s+at /);
        expect(stdout).toBe('');
      });
    }
  }

  it('a bad --set override names the flag and exits 2', async () => {
    const p = file('ok.yaml', `name: ok\nduration: 1m\nnetwork:\n  nodes: 5\n${GOOD_TAIL}`);
    expect(await main(['validate', p, '--set', 'network.loss=2'])).toBe(2);
    expect(stderr).toMatch(/--set: network\.loss: expected a probability/);
  });
});
