/**
 * Loaded before every test file (test/vitest.config.ts, setupFiles). Most tests run keel
 * synchronously (spawnSync), and a file of them keeps its worker's event loop busy from its first
 * test to its last: vitest's own messages to its main process then wait unanswered, and past 60 s
 * (a long file on a loaded host) vitest reports "Timeout calling onTaskUpdate" and fails the run
 * although every test passed. One turn of the event loop after each test lets them through.
 */
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
