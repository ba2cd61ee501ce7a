/**
 * linux.netDevices (config-linux.md): host interfaces keel-init moves into the container's network
 * namespace, renamed, with their permanent global addresses, and set up. Checked here before
 * anything exists: the container must have a network namespace that is not the host's, and each
 * interface must exist on the host under a name the kernel takes (runc's rules).
 */
import type { LinuxNetDevice } from '../spec/types.js';
import type { HostFacts } from './compile.js';
import type { NamespacePlan } from './namespaces.js';
import { ops, type PlanOp } from './ops.js';
import type { ReportProblem } from '../spec/problem.js';

/** IFNAMSIZ less its NUL; and what the kernel refuses in a name (dev_valid_name). */
const MAX_NAME = 15;

function nameProblem(name: string): string | undefined {
  if (!name.length || name.length > MAX_NAME) return `"${name}" is not an interface name: 1 to ${MAX_NAME} characters`;
  if (name === '.' || name === '..' || /[/:\s]/.test(name)) return `"${name}" is not an interface name: no "/", ":" or white space, and not "." or ".."`;
  return undefined;
}

export interface NetDevicePlan {
  /** The op that opens the host's netlink socket, before any namespace. */
  before: PlanOp[];
  /** One op per device, once the container's network namespace exists. */
  moves: PlanOp[];
}

export function planNetDevices(devices: Record<string, LinuxNetDevice> | undefined, ns: NamespacePlan, host: Pick<HostFacts, 'kindOf' | 'isKeelNamespace'>, report: ReportProblem): NetDevicePlan {
  const entries = Object.entries(devices ?? {});
  if (!entries.length) return { before: [], moves: [] };
  const joined = ns.join.find((j) => j.type === 'network');
  if (!ns.has('network') || (joined && host.isKeelNamespace?.('network', joined.path))) {
    report('/linux/netDevices', "moving network devices needs a network namespace of the container's own (add {\"type\": \"network\"} to /linux/namespaces)");
    return { before: [], moves: [] };
  }
  const moves: { hostName: string; name: string }[] = [];
  for (const [hostName, device] of entries) {
    const at = `/linux/netDevices/${hostName.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const problem = nameProblem(hostName) ?? (device.name !== undefined && device.name !== '' ? nameProblem(device.name) : undefined);
    if (problem) {
      report(problem.startsWith(`"${hostName}"`) ? at : `${at}/name`, problem);
      continue;
    }
    if (host.kindOf(`/sys/class/net/${hostName}`) === undefined) {
      report(at, `no network interface "${hostName}" on the host`);
      continue;
    }
    moves.push({ hostName, name: device.name || hostName });
  }
  return { before: [ops.netlinkHost()], moves: moves.map((m, i) => ops.netDevice(m.hostName, m.name, i === moves.length - 1)) };
}
