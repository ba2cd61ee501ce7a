/**
 * Real-world seccomp profiles for the tests: the default profile podman ships (containers-common's
 * /usr/share/containers/seccomp.json, in the containers/common format with archMap, includes and
 * excludes), turned into a config's linux.seccomp the way podman does it for a container.
 */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';

import type { LinuxSeccomp, LinuxSeccompSyscall } from '../../src/spec/types.js';

export const PODMAN_PROFILE = '/usr/share/containers/seccomp.json';

interface Filter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

interface ContainersSyscall extends LinuxSeccompSyscall {
  includes?: Filter;
  excludes?: Filter;
}

interface ContainersProfile {
  defaultAction: LinuxSeccomp['defaultAction'];
  defaultErrnoRet?: number;
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  syscalls?: ContainersSyscall[];
}

/** This machine's architecture as the profile's archMap and `arches` filters name it. */
const NATIVE = { seccomp: 'SCMP_ARCH_X86_64', go: 'amd64' };

function kernelAtLeast(min: string): boolean {
  const have = release().split(/[.-]/).map(Number);
  const want = min.split('.').map(Number);
  for (let i = 0; i < want.length; i++) {
    if ((have[i] ?? 0) !== want[i]) return (have[i] ?? 0) > want[i]!;
  }
  return true;
}

/**
 * As podman (containers/common's seccomp package) does for one container: the native architecture
 * with its sub-architectures; a rule kept only when its `includes` hold (the architecture, every
 * listed capability among the container's, the kernel at least minKernel) and no `excludes` does.
 */
export function podmanSeccomp(capabilities: string[], path = PODMAN_PROFILE): LinuxSeccomp {
  if (!existsSync(path)) throw new Error(`${path} is missing: run "make test" (it installs golang-github-containers-common)`);
  const profile = JSON.parse(readFileSync(path, 'utf8')) as ContainersProfile;
  const arch = profile.archMap?.find((a) => a.architecture === NATIVE.seccomp);
  const has = (caps: string[] | undefined) => (caps ?? []).every((c) => capabilities.includes(c));
  const syscalls = (profile.syscalls ?? []).filter((s) => {
    const inc = s.includes ?? {};
    const exc = s.excludes ?? {};
    if (inc.arches?.length && !inc.arches.includes(NATIVE.go)) return false;
    if (exc.arches?.includes(NATIVE.go)) return false;
    if (inc.caps?.length && !has(inc.caps)) return false;
    if (exc.caps?.length && exc.caps.some((c) => capabilities.includes(c))) return false;
    if (inc.minKernel && !kernelAtLeast(inc.minKernel)) return false;
    return true;
  });
  return {
    defaultAction: profile.defaultAction,
    defaultErrnoRet: profile.defaultErrnoRet,
    architectures: arch ? [arch.architecture, ...(arch.subArchitectures ?? [])] : [NATIVE.seccomp],
    syscalls: syscalls.map((s) => ({
      names: s.names,
      action: s.action,
      ...(s.errnoRet !== undefined ? { errnoRet: s.errnoRet } : {}),
      ...(s.args?.length ? { args: s.args.map((a) => ({ index: a.index, value: a.value, ...(a.valueTwo ? { valueTwo: a.valueTwo } : {}), op: a.op })) } : {}),
    })),
  };
}

/** The profile with `name` taken out of every rule that allows it (the default action then applies). */
export function without(profile: LinuxSeccomp, name: string): LinuxSeccomp {
  return {
    ...profile,
    syscalls: (profile.syscalls ?? [])
      .map((s) => (s.action === 'SCMP_ACT_ALLOW' ? { ...s, names: s.names.filter((n) => n !== name) } : s))
      .filter((s) => s.names.length > 0),
  };
}

/** Whether the profile allows `name` unconditionally (a rule without argument conditions). */
export function allows(profile: LinuxSeccomp, name: string): boolean {
  return (profile.syscalls ?? []).some((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args?.length && s.names.includes(name));
}
