/**
 * process.apparmorProfile, process.selinuxLabel and linux.mountLabel: what keel does with them,
 * given which Linux security module the host runs. Pure, so both branches are testable here.
 *
 * On a host where the module is enabled, the label is applied on exec: keel-init writes it to the
 * process's exec attribute right before execve, so that the user's program (not keel's setup)
 * starts confined, and a mount label becomes the context= of the container's tmpfs mounts.
 *
 * On a host without the module keel refuses the field, before anything runs. That is what runc
 * 1.1 does on such a host (checked with `runc run`: "selinux label is specified in config, but
 * selinux is disabled", "unable to apply apparmor profile ... write /proc/self/attr/exec:
 * invalid argument", and a mountLabel makes its tmpfs mounts fail): silently running the program
 * unconfined would be worse than an error the user can act on. Engines such as Docker and Podman
 * leave the fields out on such hosts.
 */
import type { ReportProblem } from '../spec/problem.js';

export interface LsmFacts {
  apparmor: boolean;
  selinux: boolean;
  /** Where the AppArmor exec attribute is: /proc/self/attr/apparmor/exec (Linux 5.8+) or /proc/self/attr/exec. */
  apparmorExecAttr?: string;
}

export const NO_LSM: LsmFacts = { apparmor: false, selinux: false };

export interface LabelWrite {
  path: string;
  content: string;
  why: string;
}

export interface SecurityLabels {
  apparmorProfile?: string;
  selinuxLabel?: string;
}

/** The writes to make right before execve (in order), for the process's own labels. */
export function planExecLabels(labels: SecurityLabels, host: LsmFacts, report: ReportProblem): LabelWrite[] {
  const writes: LabelWrite[] = [];
  if (labels.apparmorProfile) {
    if (host.apparmor) {
      writes.push({ path: host.apparmorExecAttr ?? '/proc/self/attr/apparmor/exec', content: `exec ${labels.apparmorProfile}`, why: `AppArmor profile for the program` });
    } else {
      report('/process/apparmorProfile', `AppArmor is not enabled on this host, so the profile "${labels.apparmorProfile}" cannot confine the program: remove the field (runc refuses it too)`);
    }
  }
  if (labels.selinuxLabel) {
    if (host.selinux) writes.push({ path: '/proc/self/attr/exec', content: labels.selinuxLabel, why: 'SELinux label for the program' });
    else report('/process/selinuxLabel', `SELinux is not enabled on this host, so the label "${labels.selinuxLabel}" cannot apply: remove the field (runc refuses it too)`);
  }
  return writes;
}

/** The context= to give the container's tmpfs mounts, when SELinux can honour it. */
export function planMountLabel(mountLabel: string | undefined, host: LsmFacts, report: ReportProblem): string | undefined {
  if (!mountLabel) return undefined;
  if (!host.selinux) {
    report('/linux/mountLabel', `SELinux is not enabled on this host, so the mount label "${mountLabel}" cannot apply: remove the field (runc fails on it too)`);
    return undefined;
  }
  return `context="${mountLabel}"`;
}
