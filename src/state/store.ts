import { closeSync, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

import { containerCgroupOf } from '../cgroups/driver.js';
import type { ContainerStatus } from '../spec/types.js';
import { KeelError, errnoCode, fsError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { testStopPoint } from '../util/test-stop-point.js';
import { isSameLiveProcess } from '../util/proc.js';
import type { StateRecord } from './record.js';
import { deriveStatus } from './status.js';

export const DEFAULT_ROOT = '/run/keel';
/** Joins an id and a keel pid in the name of a claim in progress; "@" is never part of an id. */
const CLAIM_MARK = '@creating.';
const ID_PATTERN = /^[\w+.-]+$/;

/** An id names a directory, which also gets a temporary name with a suffix: a file name's 255 bytes, less that. */
export const MAX_ID_LENGTH = 200;

export function validateId(id: string): void {
  // The id is quoted as JSON so that a newline or a control character in it cannot split the line.
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') {
    throw new KeelError(`invalid container id ${JSON.stringify(id)}: use letters, digits, "_", "+", "-" and "." only`);
  }
  if (id.length > MAX_ID_LENGTH) {
    throw new KeelError(`invalid container id "${id.slice(0, 20)}...": it is ${id.length} characters long, keel allows at most ${MAX_ID_LENGTH}`);
  }
}

export class NoSuchContainer extends KeelError {
  constructor(id: string) {
    super(`container "${id}" does not exist`);
  }
}

/** What of the state root's lstat decides whether keel may trust it. */
export interface RootStat {
  symlink: boolean;
  directory: boolean;
  uid: number;
  mode: number;
}

/**
 * Why keel must not keep its records under this root, or undefined. Whoever can change the
 * root's entries can plant a state.json (its pid is what delete kills, its cgroupPaths what it
 * removes) or a symlink keel would follow: so the root must be a real directory (not a symlink,
 * which another user may have planted where $XDG_RUNTIME_DIR/keel or --root points), owned by
 * keel's user or by root, and writable by nobody else.
 */
export function untrustedRoot(root: string, st: RootStat, euid: number): string | undefined {
  const fix = 'use a directory of your own (--root, or XDG_RUNTIME_DIR)';
  if (st.symlink) return `state root "${root}" is a symlink: keel does not follow one there, another user may have planted it: ${fix}`;
  if (!st.directory) return `state root "${root}" is not a directory: ${fix}`;
  if (st.uid !== euid && st.uid !== 0) return `state root "${root}" belongs to uid ${st.uid}, not to keel's uid ${euid}: ${fix}`;
  if (st.mode & 0o022) return `state root "${root}" is writable by ${st.mode & 0o020 ? 'its group' : 'other users'} (mode ${(st.mode & 0o7777).toString(8)}): make it writable by its owner only (chmod go-w), or ${fix}`;
  return undefined;
}

/** The on-disk home of the containers under one --root. */
export class StateStore {
  /** The root with one trailing "/", so that a path under it is one concatenation (ids hold no "/"). */
  private readonly base: string;
  private rootChecked = false;

  constructor(readonly root: string) {
    this.base = root === '' ? '' : join(root, '/');
  }

  /** Refuses a root another user could change (untrustedRoot); a root that does not exist yet is fine. */
  private checkRoot(): void {
    if (this.rootChecked) return;
    let st;
    try {
      st = lstatSync(this.root);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw fsError('cannot look at the state root', this.root, err);
    }
    const problem = untrustedRoot(this.root, { symlink: st.isSymbolicLink(), directory: st.isDirectory(), uid: st.uid, mode: st.mode }, process.geteuid?.() ?? 0);
    if (problem) throw new KeelError(problem);
    this.rootChecked = true;
  }

  dir(id: string): string {
    return this.base + id;
  }

  fifoPath(id: string): string {
    return `${this.dir(id)}/exec.fifo`;
  }

  private statePath(id: string): string {
    return `${this.dir(id)}/state.json`;
  }

  /**
   * Claims the id with its first record, atomically: the directory is made and locked under a
   * temporary name, given state.json, and only then renamed into place. So nobody ever sees a
   * container directory without a state.json, a keel killed at any point leaves either nothing
   * under the id or a record that `delete` understands, and of two creates with one id exactly
   * one rename succeeds. Returns the lock, held until the caller releases it.
   */
  async claim(record: StateRecord): Promise<ContainerLock> {
    const id = record.id;
    validateId(id);
    this.checkRoot(); // before mkdir too: a planted symlink must not be followed even there
    try {
      // A plain user's root (in $XDG_RUNTIME_DIR) is the user's alone; root's lets the containers' users reach in.
      mkdirSync(this.root, { recursive: true, mode: process.geteuid?.() === 0 ? 0o711 : 0o700 });
    } catch (err) {
      throw fsError('cannot create the state root', this.root, err);
    }
    this.checkRoot();
    this.sweepAbandonedClaims(id);
    const tmp = join(this.root, `${id}${CLAIM_MARK}${process.pid}`);
    removeFlatDir(tmp);
    try {
      mkdirSync(tmp, { mode: 0o711 });
    } catch (err) {
      throw fsError('cannot create the state directory', tmp, err);
    }
    const lock = await ContainerLock.onDirectory(tmp);
    try {
      writeFileAtomic(join(tmp, 'state.json'), JSON.stringify(record));
      testStopPoint('claiming');
      await this.renameInto(tmp, id);
      return lock;
    } catch (err) {
      lock.release();
      removeFlatDir(tmp);
      throw err;
    }
  }

  private async renameInto(tmp: string, id: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        renameSync(tmp, this.dir(id));
        return;
      } catch (err) {
        const code = errnoCode(err);
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw fsError('cannot create the state directory', this.dir(id), err);
        // A directory without state.json is what an interrupted delete leaves: clear it once.
        if (attempt > 0 || !(await this.removeIfRecordless(id))) throw new KeelError(`container "${id}" already exists`);
      }
    }
  }

  /**
   * Removes the id's directory when it holds no state.json (a delete was killed half-way), under
   * its lock so that a delete still at work finishes first. Returns whether the id is now free.
   */
  async removeIfRecordless(id: string): Promise<boolean> {
    let lock: ContainerLock;
    try {
      lock = await ContainerLock.acquire(this, id);
    } catch (err) {
      if (err instanceof NoSuchContainer) return true;
      throw err;
    }
    try {
      if (existsSync(this.statePath(id))) return false;
      removeFlatDir(this.dir(id));
      return true;
    } finally {
      lock.release();
    }
  }

  /** Temporary claim directories of this id whose keel died before renaming them into place. */
  sweepAbandonedClaims(id: string): void {
    const prefix = `${id}${CLAIM_MARK}`;
    let names: string[];
    try {
      names = readdirSync(this.root).filter((name) => name.startsWith(prefix));
    } catch {
      return;
    }
    for (const name of names) {
      if (isSameLiveProcess(Number(name.slice(prefix.length)), undefined)) continue;
      removeFlatDir(join(this.root, name));
    }
  }

  read(id: string): StateRecord {
    validateId(id);
    this.checkRoot();
    let text: string;
    try {
      text = readFileSync(this.statePath(id), 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new NoSuchContainer(id);
      throw fsError('cannot read the state of', this.dir(id), err);
    }
    try {
      return JSON.parse(text) as StateRecord;
    } catch {
      throw new KeelError(`the state of container "${id}" is corrupt (${this.statePath(id)}): remove it with "keel delete --force ${id}"`);
    }
  }

  write(record: StateRecord): void {
    writeFileAtomic(this.statePath(record.id), JSON.stringify(record));
  }

  /** state.json goes first: from then on the container is gone for everyone, even if keel dies before the rest. */
  remove(id: string): void {
    try {
      unlinkSync(this.statePath(id));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    removeFlatDir(this.dir(id));
  }

  /**
   * The record of a container that is running or paused, for a verb that needs its processes
   * (`verb` as the error names it: "update", "list the processes of").
   */
  readLive(id: string, verb: string): StateRecord {
    const record = this.read(id);
    const status = this.status(record);
    if (status === 'stopped' || status === 'creating') throw new KeelError(`cannot ${verb} container "${id}": it is ${status}`);
    return record;
  }

  ids(): string[] {
    this.checkRoot();
    try {
      return readdirSync(this.root).filter((name) => ID_PATTERN.test(name)).sort();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw fsError('cannot list', this.root, err);
    }
  }

  /**
   * Each fact is looked up only when deriveStatus asks for it (it asks in order, and stops at the
   * first that decides): a created container costs no freezer read, a started one no look at the
   * keel that created it, which `list` would otherwise pay for every container.
   */
  status(record: StateRecord): ContainerStatus {
    const fifo = this.fifoPath(record.id);
    let initAlive: boolean | undefined;
    return deriveStatus(record, {
      get initAlive() {
        return (initAlive ??= record.pid !== undefined && isSameLiveProcess(record.pid, record.pidStartTime));
      },
      get creatorAlive() {
        return isSameLiveProcess(record.creatorPid, record.creatorStartTime);
      },
      get fifoExists() {
        return existsSync(fifo);
      },
      get frozen() {
        return containerCgroupOf(record).isFrozen();
      },
    });
  }
}

/** Holds an flock on a container's directory; released on close or when keel exits. */
export class ContainerLock {
  private constructor(private fd: number | undefined) {}

  static async acquire(store: StateStore, id: string): Promise<ContainerLock> {
    validateId(id);
    const dir = store.dir(id);
    for (;;) {
      const lock = await ContainerLock.onDirectory(dir, id);
      // While we waited, the directory may have been deleted, and even made again by another
      // create: the lock only counts if it is on the directory that is there now.
      if (lock.isOn(dir)) return lock;
      lock.release();
    }
  }

  /** Locks the directory at `path`, waiting for whoever holds it. */
  static async onDirectory(path: string, id?: string): Promise<ContainerLock> {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' && id !== undefined) throw new NoSuchContainer(id);
      throw fsError('cannot open', path, err);
    }
    const { flock, LOCK_EX } = await import('../native/libkeel.js');
    try {
      flock(fd, LOCK_EX);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return new ContainerLock(fd);
  }

  private isOn(path: string): boolean {
    let now;
    try {
      now = statSync(path);
    } catch {
      return false;
    }
    const held = fstatSync(this.fd!);
    return held.ino === now.ino && held.dev === now.dev;
  }

  release(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Removes a state directory, which holds only files (the exec fifo, temporary state files): one
 * unlink each, then rmdir. rmSync (even of one file) loads and runs Node's rimraf, ~2 ms of every
 * delete; it stays the fallback for anything unexpected inside.
 */
function removeFlatDir(dir: string): void {
  try {
    for (const name of readdirSync(dir)) unlinkSync(join(dir, name));
    rmdirSync(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    rmSync(dir, { recursive: true, force: true });
  }
}
