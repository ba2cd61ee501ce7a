import type { CgroupDriverName } from '../cgroups/driver.js';
import type { Spec } from '../spec/types.js';
import type { ResctrlPlan } from '../plan/intel-rdt.js';

/** What keel keeps about one container in <root>/<id>/state.json. */
export interface StateRecord {
  ociVersion: string;
  id: string;
  /** The container init, in keel's PID namespace; absent while creating. */
  pid?: number;
  /** Start time of `pid` (clock ticks since boot), so that a recycled PID is never mistaken for it. */
  pidStartTime?: number;
  /** The keel process that is creating the container, to tell "creating" from "failed". */
  creatorPid: number;
  creatorStartTime: number;
  phase: 'creating' | 'created';
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  /** The config as it was at create time: delete and exec need it after the bundle may be gone. */
  config: Spec;
  /** Cgroup directories this container owns, to be removed at delete. */
  cgroupPaths?: string[];
  /** The cgroup driver that made them, which every later verb uses (absent in records from before keel kept it: cgroupfs). */
  cgroupDriver?: CgroupDriverName;
  /** linux.intelRdt: the resctrl groups the container's processes join, and what delete removes. */
  resctrl?: ResctrlPlan;
  /** Created by a rootless keel (--rootless, or auto as a plain user): its cgroup may be missing. */
  rootless?: true;
  /** Created with --no-new-keyring: exec's processes keep the caller's session keyring too. */
  noNewKeyring?: true;
}
