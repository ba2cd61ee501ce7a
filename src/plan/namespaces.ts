import type { LinuxNamespace, LinuxNamespaceType } from '../spec/types.js';
import { throwProblem, type ReportProblem } from '../spec/problem.js';

export const CLONE_FLAGS: Record<LinuxNamespaceType, number> = {
  mount: 0x00020000,
  cgroup: 0x02000000,
  uts: 0x04000000,
  ipc: 0x08000000,
  user: 0x10000000,
  pid: 0x20000000,
  network: 0x40000000,
  time: 0x00000080,
};

/** The order namespaces are joined in: user first, so that the rest are joined with its rights. */
const JOIN_ORDER: LinuxNamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export interface NamespacePlan {
  join: { type: LinuxNamespaceType; path: string }[];
  create: LinuxNamespaceType[];
  has(type: LinuxNamespaceType): boolean;
  isNew(type: LinuxNamespaceType): boolean;
}

export function planNamespaces(namespaces: readonly LinuxNamespace[] = [], report: ReportProblem = throwProblem): NamespacePlan {
  const byType = new Map<LinuxNamespaceType, LinuxNamespace>();
  namespaces.forEach((ns, i) => {
    if (byType.has(ns.type)) report(`/linux/namespaces/${i}/type`, `the ${ns.type} namespace is listed twice`);
    else byType.set(ns.type, ns);
  });
  const join = JOIN_ORDER.filter((t) => byType.get(t)?.path).map((type) => ({ type, path: byType.get(type)!.path! }));
  const create = JOIN_ORDER.filter((t) => byType.has(t) && !byType.get(t)!.path);
  return {
    join,
    create,
    has: (type) => byType.has(type),
    isNew: (type) => byType.has(type) && !byType.get(type)!.path,
  };
}

export function cloneFlags(types: readonly LinuxNamespaceType[]): number {
  return types.reduce((flags, type) => flags | CLONE_FLAGS[type], 0);
}
