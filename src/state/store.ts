import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { isFrozen } from '../cgroups/manager.js';
import type { ContainerStatus } from '../spec/types.js';
import { KeelError, errnoCode, fsError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { isSameLiveProcess } from './proc.js';
import type { StateRecord } from './record.js';
import { deriveStatus } from './status.js';

export const DEFAULT_ROOT = '/run/keel';
const ID_PATTERN = /^[\w+.-]+$/;

export function validateId(id: string): void {
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') {
    throw new KeelError(`invalid container id "${id}": use letters, digits, "_", "+", "-" and "." only`);
  }
}

/** The on-disk home of the containers under one --root. */
export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  fifoPath(id: string): string {
    return join(this.dir(id), 'exec.fifo');
  }

  /** Claims the id: mkdir is atomic, so of two creates with one id exactly one gets here. */
  claim(id: string): void {
    validateId(id);
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o711 });
      mkdirSync(this.dir(id), { mode: 0o711 });
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') throw new KeelError(`container "${id}" already exists`);
      throw fsError('cannot create the state directory', this.dir(id), err);
    }
  }

  exists(id: string): boolean {
    validateId(id);
    return existsSync(join(this.dir(id), 'state.json'));
  }

  read(id: string): StateRecord {
    validateId(id);
    let text: string;
    try {
      text = readFileSync(join(this.dir(id), 'state.json'), 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new KeelError(`container "${id}" does not exist`);
      throw fsError('cannot read the state of', this.dir(id), err);
    }
    try {
      return JSON.parse(text) as StateRecord;
    } catch {
      throw new KeelError(`the state of container "${id}" is corrupt (${join(this.dir(id), 'state.json')}): remove it with "keel delete --force ${id}"`);
    }
  }

  write(record: StateRecord): void {
    writeFileAtomic(join(this.dir(record.id), 'state.json'), JSON.stringify(record));
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  ids(): string[] {
    try {
      return readdirSync(this.root).filter((name) => ID_PATTERN.test(name)).sort();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw fsError('cannot list', this.root, err);
    }
  }

  status(record: StateRecord): ContainerStatus {
    const initAlive = record.pid !== undefined && isSameLiveProcess(record.pid, record.pidStartTime);
    return deriveStatus(record, {
      initAlive,
      creatorAlive: isSameLiveProcess(record.creatorPid, record.creatorStartTime),
      fifoExists: initAlive && existsSync(this.fifoPath(record.id)),
      frozen: initAlive && isFrozen(record.cgroupPaths ?? []),
    });
  }
}

/** Holds an flock on a container's directory; released on close or when keel exits. */
export class ContainerLock {
  private constructor(private fd: number | undefined) {}

  static async acquire(store: StateStore, id: string): Promise<ContainerLock> {
    validateId(id);
    let fd: number;
    try {
      fd = openSync(store.dir(id), 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new KeelError(`container "${id}" does not exist`);
      throw fsError('cannot open', store.dir(id), err);
    }
    const { flock, LOCK_EX } = await import('../native/libkeel.js');
    flock(fd, LOCK_EX);
    return new ContainerLock(fd);
  }

  release(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
