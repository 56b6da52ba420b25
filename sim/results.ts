/**
 * Result artefacts: atomic file writes and the run manifest.
 *
 * Every file is written to a temporary name in the same directory, flushed, and renamed over
 * its final name. A rename within one file system is atomic, so an interrupted run never leaves
 * a file that looks complete but is not.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (the folder holding package.json). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

let tmpCounter = 0;

/** Writes `data` to `path` atomically (temp file + fsync + rename); creates parent folders. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${tmpCounter++}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** JSON with stable two-space formatting and a trailing newline. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** The package version from package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The current git commit of the project, or undefined outside a git checkout. */
export function gitCommit(): string | undefined {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** True when the work tree has uncommitted changes (recorded so a replay knows). */
export function gitDirty(): boolean | undefined {
  const r = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().length > 0 : undefined;
}

export interface Manifest {
  scenario: string;
  scenarioFile?: string;
  seed: number;
  packageVersion: string;
  gitCommit?: string;
  gitDirty?: boolean;
  nodeVersion: string;
  /** The scenario after `extends` and overrides, as written (unit strings kept). */
  resolvedScenario: unknown;
  [extra: string]: unknown;
}

/** Builds a manifest for a run or sweep. */
export function makeManifest(fields: { scenario: string; scenarioFile?: string; seed: number; resolvedScenario: unknown; [extra: string]: unknown }): Manifest {
  return { ...fields, packageVersion: packageVersion(), gitCommit: gitCommit(), gitDirty: gitDirty(), nodeVersion: process.version };
}
