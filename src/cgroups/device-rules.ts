/**
 * An ordered list of device cgroup rules reduced to what it means in the end: allow everything or
 * nothing by default, and the exceptions, as the v1 devices controller would hold them after the
 * rules were written one by one (runc's device emulator follows the same model). systemd's
 * DevicePolicy/DeviceAllow is such a final state, not a list of rules. Pure.
 */
import type { LinuxDeviceCgroup } from '../spec/types.js';
import { KeelError } from '../util/errors.js';

/** One exception: for a default-deny state, what is allowed; for a default-allow one, what is denied. */
export interface DeviceException {
  type: 'c' | 'b';
  /** Absent: any. */
  major?: number;
  minor?: number;
  /** Some of "rwm", in that order. */
  access: string;
}

export interface DeviceState {
  defaultAllow: boolean;
  /** Sorted by major, minor (a wildcard first), then type, as runc lists them. */
  exceptions: DeviceException[];
}

const normalAccess = (set: Set<string>) => ['r', 'w', 'm'].filter((c) => set.has(c)).join('');

/**
 * Applies `rules` in order to a default-deny state. A rule of type "a" (or none) resets the whole
 * state; another rule adds to or takes from the exception for exactly its (type, major, minor).
 * Taking access away from one device that a wildcard exception covers cannot be said this way
 * (the v1 controller would keep allowing it), so it is refused, naming the rule (`nameOf` says
 * where rule i came from).
 */
export function simplifyDeviceRules(rules: readonly LinuxDeviceCgroup[], nameOf: (index: number) => string): DeviceState {
  let defaultAllow = false;
  let exceptions = new Map<string, { type: 'c' | 'b'; major?: number; minor?: number; access: Set<string> }>();
  const keyOf = (type: string, major?: number, minor?: number) => `${type} ${major ?? '*'} ${minor ?? '*'}`;
  rules.forEach((rule, index) => {
    const type = rule.type ?? 'a';
    if (type === 'a') {
      defaultAllow = rule.allow;
      exceptions = new Map();
      return;
    }
    const access = new Set((rule.access ?? 'rwm').split(''));
    const key = keyOf(type, rule.major, rule.minor);
    // Allowing in an allow-all state, or denying in a deny-all one, takes an exception away.
    const adds = rule.allow !== defaultAllow;
    if (adds) {
      const e = exceptions.get(key) ?? { type, major: rule.major, minor: rule.minor, access: new Set<string>() };
      for (const c of access) e.access.add(c);
      exceptions.set(key, e);
      return;
    }
    for (const wider of [keyOf(type, undefined, rule.minor), keyOf(type, rule.major, undefined), keyOf(type)]) {
      if (wider === key) continue;
      const covering = exceptions.get(wider);
      if (covering && [...access].some((c) => covering.access.has(c))) {
        throw new KeelError(
          `${nameOf(index)}: "${rule.allow ? 'allow' : 'deny'} ${type} ${rule.major ?? '*'}:${rule.minor ?? '*'}" takes access from inside the wider rule for ${type} ${covering.major ?? '*'}:${covering.minor ?? '*'}, which the device cgroup cannot express: narrow the wider rule instead`,
        );
      }
    }
    const e = exceptions.get(key);
    if (!e) return;
    for (const c of access) e.access.delete(c);
    if (!e.access.size) exceptions.delete(key);
  });
  const order = (n: number | undefined) => n ?? -1;
  const sorted = [...exceptions.values()].sort(
    (a, b) => order(a.major) - order(b.major) || order(a.minor) - order(b.minor) || (a.type === b.type ? 0 : a.type === 'b' ? -1 : 1),
  );
  return { defaultAllow, exceptions: sorted.map((e) => ({ type: e.type, ...(e.major !== undefined && { major: e.major }), ...(e.minor !== undefined && { minor: e.minor }), access: normalAccess(e.access) })) };
}
