/**
 * When the long-lived shim ends after Shutdown (src/shim/idle-exit.ts): not while a container is
 * served or a client is connected, nor within the linger after a `start` looked at it (connected
 * and hung up without a word), the window before containerd connects for the container start
 * handed this shim to.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { IdleExit } from '../../../src/shim/idle-exit.js';

describe('IdleExit', () => {
  let containers: number;
  let exits: number;
  let idle: IdleExit;
  /** A client: containerd (which sends requests) or start's look (which sends nothing). */
  const client = (sends: boolean) => {
    const socket = Object.assign(new EventEmitter(), { bytesRead: sends ? 120 : 0 });
    idle.connected(socket);
    return { close: () => socket.emit('close') };
  };

  beforeEach(() => {
    vi.useFakeTimers();
    containers = 0;
    exits = 0;
    idle = new IdleExit({ busy: () => containers > 0, exit: () => exits++, lingerMs: 2000 });
  });
  afterEach(() => vi.useRealTimers());

  it('ends at once when nothing is served, nobody is connected and no start looked lately', () => {
    client(true).close();
    idle.requested();
    expect(exits).toBe(1);
  });

  it('ends when containerd hangs up after its Shutdown, without lingering', () => {
    const containerd = client(true);
    idle.requested();
    expect(exits).toBe(0);
    containerd.close();
    expect(exits).toBe(1);
  });

  it('lingers after a start looked, and stays for the container containerd then creates', () => {
    const last = client(true);
    client(false).close(); // start sees the shim answer, and hands it to containerd
    idle.requested(); // the last container's Shutdown
    last.close();
    vi.advanceTimersByTime(1999);
    expect(exits).toBe(0);
    const containerd = client(true);
    containers = 1; // its Create
    vi.advanceTimersByTime(10_000);
    expect(exits).toBe(0);
    containers = 0;
    idle.requested();
    containerd.close();
    expect(exits).toBe(1);
  });

  it('ends a linger after the look when containerd never came', () => {
    client(false).close();
    vi.advanceTimersByTime(500);
    idle.requested();
    vi.advanceTimersByTime(1499);
    expect(exits).toBe(0);
    vi.advanceTimersByTime(1);
    expect(exits).toBe(1);
  });

  it('stays while a container is served, and ends at once for Shutdown with now', () => {
    containers = 1;
    idle.requested();
    vi.advanceTimersByTime(10_000);
    expect(exits).toBe(0);
    client(true);
    idle.requested(true);
    expect(exits).toBe(1);
    idle.requested(true);
    expect(exits).toBe(1);
  });
});
