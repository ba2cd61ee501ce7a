/** The compiler's input for unit tests: the default spec (no terminal), edited, on a fake v2 host. */
import type { CompileInput } from '../../src/plan/compile.js';
import { defaultSpec } from '../../src/spec/default.js';
import type { Spec } from '../../src/spec/types.js';

export const V2_HOST: CompileInput['host'] = { cgroups: { mode: 'v2', root: '/sys/fs/cgroup', v1: [] }, rootfsIsRamfs: false, rlimitCeiling: () => undefined, kindOf: () => 'dir' };

export function planInput(edit: (s: Spec) => void = () => {}, host: Partial<CompileInput['host']> = {}): CompileInput {
  const spec = defaultSpec();
  spec.process!.terminal = false;
  edit(spec);
  return { id: 't', spec, bundle: '/b', rootfs: '/b/rootfs', cgroupPath: '/keel/t', host: { ...V2_HOST, ...host }, fifoFd: 4, preserveFds: 0 };
}
