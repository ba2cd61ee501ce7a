// Rules about config.json that span several fields, which JSON Schema cannot state. Each is a
// requirement of the runtime-spec or an error runc raises (so engines already avoid it), checked
// before anything is created so that the user hears about it in terms of the config. Input is a
// document that passed validateConfig.
import type { LinuxNamespace, LinuxNamespaceType, Spec } from './types.js';
import { findNul, NUL_MESSAGE } from './nul.js';
import { refusedFields } from './coverage.js';
import type { SpecProblem } from './problem.js';

type Check = (spec: Spec) => SpecProblem[];

/** Every cross-field problem in a schema-valid config; empty when there is none. */
export function checkConfigSemantics(spec: Spec): SpecProblem[] {
  return CHECKS.flatMap((check) => check(spec));
}

// The spec leaves root optional only for Windows Hyper-V containers.
const rootIsRequired: Check = (spec) =>
  spec.root ? [] : [{ path: '', message: 'missing required field "root" (a Linux container needs a root filesystem)' }];

// runtime.md: process is required when start is called, and create prepares what start runs.
const processIsRequired: Check = (spec) =>
  spec.process ? [] : [{ path: '', message: 'missing required field "process" (keel needs a process to start)' }];

// config-linux.md: duplicated namespace types MUST be an error.
const namespaceTypesAreUnique: Check = (spec) => {
  const firstIndex = new Map<LinuxNamespaceType, number>();
  return (spec.linux?.namespaces ?? []).flatMap((ns, i) => {
    const first = firstIndex.get(ns.type);
    if (first === undefined) {
      firstIndex.set(ns.type, i);
      return [];
    }
    return [
      {
        path: `/linux/namespaces/${i}/type`,
        message: `duplicate namespace type "${ns.type}" (first at /linux/namespaces/${first})`,
      },
    ];
  });
};

// config.md: duplicated rlimit types MUST be an error.
const rlimitTypesAreUnique: Check = (spec) => {
  const firstIndex = new Map<string, number>();
  return (spec.process?.rlimits ?? []).flatMap((rlimit, i) => {
    const first = firstIndex.get(rlimit.type);
    if (first === undefined) {
      firstIndex.set(rlimit.type, i);
      return [];
    }
    return [
      {
        path: `/process/rlimits/${i}/type`,
        message: `duplicate rlimit "${rlimit.type}" (first at /process/rlimits/${first})`,
      },
    ];
  });
};

// Mappings only mean something for a user namespace; runc refuses them without one rather than
// run the container with ids the user did not ask for.
const idMappingsNeedUserNamespace: Check = (spec) => {
  if (findNamespace(spec, 'user')) return [];
  return (['uidMappings', 'gidMappings'] as const)
    .filter((field) => (spec.linux?.[field]?.length ?? 0) > 0)
    .map((field) => ({
      path: `/linux/${field}`,
      message: 'user namespace mappings are set but no user namespace is requested',
    }));
};

// A new user namespace without a uid (or gid) map leaves every id unmapped: the container process
// could not even set its own uid or gid. (runc only rejects the case where both are missing, and
// then fails later and less clearly.)
const newUserNamespaceNeedsMappings: Check = (spec) => {
  const userns = findNamespace(spec, 'user');
  if (!userns || userns.path) return [];
  return (['uidMappings', 'gidMappings'] as const)
    .filter((field) => (spec.linux?.[field]?.length ?? 0) === 0)
    .map((field) => ({
      path: '/linux',
      message: `missing required field "${field}" (a new user namespace is requested)`,
    }));
};

// Offsets can only be written into a time namespace that has no process yet, that is, a new one.
const timeOffsetsNeedNewTimeNamespace: Check = (spec) => {
  if (Object.keys(spec.linux?.timeOffsets ?? {}).length === 0) return [];
  const timens = findNamespace(spec, 'time');
  if (!timens) {
    return [{ path: '/linux/timeOffsets', message: 'time offsets are set but no time namespace is requested' }];
  }
  if (timens.path) {
    return [{ path: '/linux/timeOffsets', message: 'time offsets cannot be applied to a joined time namespace' }];
  }
  return [];
};

// Without a UTS namespace of its own, setting the container's hostname would rename the host.
const hostnamesNeedUtsNamespace: Check = (spec) => {
  if (findNamespace(spec, 'uts')) return [];
  return (['hostname', 'domainname'] as const)
    .filter((field) => spec[field])
    .map((field) => ({ path: `/${field}`, message: `a ${field} is set but no UTS namespace is requested` }));
};

// A string with U+0000 would reach the kernel cut short at the NUL (an env value, an argument, the
// cwd, a mount path). Annotations are left alone: they only ever reach hooks and engines as JSON.
const noNulBytes: Check = (spec) => {
  const at = findNul(spec, '', (pointer) => pointer === '/annotations');
  return at === undefined ? [] : [{ path: at, message: NUL_MESSAGE }];
};

// Fields keel cannot honour on Linux (other platforms' objects, what keel does not apply yet):
// refused before anything is created, rather than run a container without them.
const noRefusedFields: Check = (spec) => refusedFields(spec);

function findNamespace(spec: Spec, type: LinuxNamespaceType): LinuxNamespace | undefined {
  return spec.linux?.namespaces?.find((ns) => ns.type === type);
}

const CHECKS: readonly Check[] = [
  rootIsRequired,
  processIsRequired,
  namespaceTypesAreUnique,
  rlimitTypesAreUnique,
  idMappingsNeedUserNamespace,
  newUserNamespaceNeedsMappings,
  timeOffsetsNeedNewTimeNamespace,
  hostnamesNeedUtsNamespace,
  noNulBytes,
  noRefusedFields,
];
