/**
 * CRIU locks the network of the processes it dumps with --tcp-established (an iptables chain named
 * CRIU that drops everything but its own marked packets) and leaves it locked after the dump, so
 * that the saved connections see no reset. It unlocks, at restore, only a network namespace it made
 * itself; one the config joins by path is external to CRIU, and its "network-unlock" notification
 * is the caller's cue to unlock it, as runc unlocks the networks it manages there.
 */
import { spawnSync } from 'node:child_process';

/** The iptables commands that undo CRIU's lock: each jump as often as it was added, then the chain. */
export const UNLOCK_STEPS: readonly (readonly string[])[] = [
  ['-D', 'INPUT', '-j', 'CRIU'],
  ['-D', 'OUTPUT', '-j', 'CRIU'],
  ['-F', 'CRIU'],
  ['-X', 'CRIU'],
];

/** Removes CRIU's lock from the network namespace at `nsPath`; a namespace without it is left as it is. */
export function unlockCriuNetwork(nsPath: string): void {
  const iptables = (args: readonly string[]) => spawnSync('nsenter', [`--net=${nsPath}`, 'iptables', '-w', ...args], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  for (const step of UNLOCK_STEPS) {
    // A -D removes one jump: repeat while there is one (a failed dump may have added its own too).
    if (step[0] === '-D') for (let i = 0; i < 8 && iptables(step); i++);
    else iptables(step);
  }
}
