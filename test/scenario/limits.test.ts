import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../fixtures/capture.ts';
import { main } from '../../sim/cli.ts';
import { MAX_PRINTED_PROBLEMS } from '../../sim/scenario/errors.ts';
import { SCENARIO_LIMITS } from '../../sim/scenario/index.ts';

// Issue 14, item 6: hostile input is contained — documented limits, binary input refused, the
// number of printed errors capped, and always exit 2 with a clean message (no V8 stack, no
// "internal error", no megabytes of garbage on stderr).

const dir = mkdtempSync(join(tmpdir(), 'medsim-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const io = captureOutput();

async function refused(name: string, content: string | Buffer | { size: number }, pattern: RegExp, commands = ['validate', 'run']) {
  const file = join(dir, name);
  if (typeof content === 'object' && 'size' in content && !Buffer.isBuffer(content)) {
    writeFileSync(file, 'name: x\n');
    truncateSync(file, content.size); // a sparse file: the size is checked before reading
  } else writeFileSync(file, content);
  for (const cmd of commands) {
    io.err = '';
    expect(await main([cmd, file]), `${cmd} ${name}`).toBe(2);
    expect(io.err).toMatch(pattern);
    expect(io.err).not.toMatch(/internal error|\n\s+at |RangeError|ReferenceError/);
    expect(io.err.length).toBeLessThan(8000);
  }
}

const HEAD = 'name: x\nduration: 1s\nnetwork:\n  nodes: 10\n';

describe('hostile scenario input', () => {
  it('a file over the size limit is refused before it is read', async () => {
    await refused('huge.yaml', { size: SCENARIO_LIMITS.fileBytes + 1 }, /huge\.yaml: the file is 4 MiB, larger than the 4 MiB a scenario may be/);
  });

  it('binary and non-UTF-8 input is refused', async () => {
    const bytes = Buffer.alloc(64 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    await refused('noise.bin', bytes, /noise\.bin: not a text file \(a NUL byte at offset 0\)/);
    await refused('latin1.yaml', Buffer.from('name: caf\xe9\n', 'latin1'), /latin1\.yaml: not UTF-8 text/);
  });

  it('an alias bomb is a scenario error, not an internal error', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 7; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    await refused('bomb.yaml', levels.join('\n') + '\n', /bomb\.yaml:1:1: too many alias expansions .*the limit is 100/);
  });

  it('a list over the item limit and nesting over the depth limit', async () => {
    await refused('list.yaml', `${HEAD}  clogs: [${Array(SCENARIO_LIMITS.listItems + 1).fill('1').join(',')}]\nprotocol: { name: gossip }\n`, /list\.yaml:5:10: a list of 100,001 items, more than the 100,000 a scenario list may hold/, ['validate']);
    await refused('deep.yaml', `${HEAD}protocol: { name: gossip }\nx: ${'['.repeat(80)}${']'.repeat(80)}\n`, /deep\.yaml:6:\d+: nested more than 64 levels deep/);
  });

  it('prints at most the first problems and says how many more there are', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}: 1`).join('\n');
    await refused('many.yaml', `${HEAD}${keys}\nprotocol: { name: gossip }\n`, new RegExp(`… and ${300 - MAX_PRINTED_PROBLEMS} more problems \\(fix these first\\)`));
    expect(io.err.trim().split('\n')).toHaveLength(MAX_PRINTED_PROBLEMS + 1);
  });
});
