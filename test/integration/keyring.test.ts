/**
 * Each container gets a session keyring of its own (runc's and crun's behaviour): a key in the
 * caller's session keyring, which only its possessors may see, must not be visible inside.
 * Each case runs keel from a fresh session (`keyctl session`) holding such a key.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

import { KEEL, runToCompletion } from '../helpers/keel.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
execFileSync('bash', ['test/host/ensure-packages.sh', 'keyutils'], { stdio: 'inherit' });

/** A container that prints the keys it can see (the default spec masks /proc/keys). */
function keysBundle(args = ['cat', '/proc/keys']) {
  return bed.bundle((s) => {
    s.process!.args = args;
    s.linux!.maskedPaths = s.linux!.maskedPaths!.filter((p) => p !== '/proc/keys');
  });
}

/** Runs keel with `args` in a new session keyring holding a possessor-only key named `secret`. */
function keelWithSecret(secret: string, args: string[]) {
  const script = 'id=$(keyctl add user "$1" hush @s) && keyctl setperm "$id" 0x3f000000 && shift && exec "$@"';
  return runToCompletion('keyctl', ['session', '-', 'sh', '-c', script, 'sh', secret, KEEL, '--root', bed.keel.root, ...args], bed.keel.root);
}

describe('session keyring', () => {
  it("the container does not possess the caller's keys: it joins a new keyring named _ses.<id>", () => {
    const id = `keys-${process.pid}`;
    const secret = `keel-secret-${process.pid}`;
    const b = keysBundle();
    const r = keelWithSecret(secret, ['run', '--bundle', b.dir, id]);
    expect(r.stderr).toMatch(/^Joined session keyring: \d+\n$/);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(secret);
    expect(r.stdout).toMatch(new RegExp(`keyring\\s+_ses\\.${id}: empty`));
  });

  it('--no-new-keyring keeps the caller\'s session keyring, as runc: the key is visible (so the test above can fail)', () => {
    const secret = `keel-secret-${process.pid}`;
    const b = keysBundle();
    const r = keelWithSecret(secret, ['run', '--no-new-keyring', '--bundle', b.dir, `keys-kept-${process.pid}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(secret);
  });

  it("exec's process joins the container's keyring, not its caller's", () => {
    const id = `keys-exec-${process.pid}`;
    const b = keysBundle(['sleep', '30']);
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    const secret = `keel-exec-secret-${process.pid}`;
    const r = keelWithSecret(secret, ['exec', id, 'cat', '/proc/keys']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(secret);
    expect(r.stdout).toMatch(new RegExp(`_ses\\.${id}`));
  });
});
