/**
 * When the long-lived shim ends after Shutdown (src/shim/idle-exit.ts): not while a container is
 * served or a client is connected, nor within the linger after the last connection (the window
 * between `start` seeing the shim answer and containerd connecting for the new container).
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { IdleExit } from '../../../src/shim/idle-exit.js';

describe('IdleExit', () => {
  let containers: number;
  let exits: number;
  let idle: IdleExit;
  const client = () => {
    const socket = new EventEmitter();
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

  it('ends at once when nothing is served and nobody connected lately', () => {
    idle.requested();
    expect(exits).toBe(1);
  });

  it('waits for the last client to go, then for the linger after its connection', () => {
    const c = client();
    idle.requested();
    expect(exits).toBe(0);
    vi.advanceTimersByTime(500);
    c.close();
    expect(exits).toBe(0);
    vi.advanceTimersByTime(1499);
    expect(exits).toBe(0);
    vi.advanceTimersByTime(1);
    expect(exits).toBe(1);
  });

  it('stays for a container that came meanwhile: a start probed, then containerd connected and created', () => {
    client().close(); // the last container's connection, gone after its Shutdown
    idle.requested();
    client().close(); // start's probe
    const containerd = client();
    containers = 1; // its Create
    vi.advanceTimersByTime(10_000);
    expect(exits).toBe(0);
    containers = 0;
    containerd.close();
    vi.advanceTimersByTime(10_000);
    expect(exits).toBe(0); // no Shutdown asked since
    idle.requested();
    expect(exits).toBe(1);
  });

  it('stays while a container is served, and ends at once for Shutdown with now', () => {
    containers = 1;
    idle.requested();
    vi.advanceTimersByTime(10_000);
    expect(exits).toBe(0);
    client();
    idle.requested(true);
    expect(exits).toBe(1);
    idle.requested(true);
    expect(exits).toBe(1);
  });
});
