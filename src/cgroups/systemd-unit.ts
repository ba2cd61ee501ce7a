/**
 * The systemd cgroup driver's naming, pure: what `linux.cgroupsPath` means under
 * `--systemd-cgroup` (runc's "slice:prefix:name"), the unit keel asks systemd for, where its cgroup
 * lies, and the unit's own properties. No D-Bus here (systemd-dbus.ts).
 */
import { KeelError } from '../util/errors.js';
import { GVariantError, isNumericType, parseGVariant } from './gvariant.js';
import type { SystemdProperty } from './systemd-properties.js';

/** The transient unit a container gets, and where systemd puts its cgroup. */
export interface SystemdUnit {
  /** The parent slice, as given (system.slice by default). */
  slice: string;
  /** "prefix-name.scope", or the name itself when it ends in ".slice". */
  unit: string;
  kind: 'scope' | 'slice';
  /** The unit's cgroup relative to each hierarchy's root, e.g. /system.slice/keel-web.scope. */
  path: string;
}

const DEFAULT_SLICE = 'system.slice';
const DEFAULT_PREFIX = 'keel';

const fail = (cgroupsPath: string, why: string) => new KeelError(`config.json: /linux/cgroupsPath: "${cgroupsPath}": ${why}`);

/**
 * Where a slice's cgroup is: systemd nests a slice in the slices its dashes name, so
 * "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice; "-.slice" is the root. Returns undefined
 * for a name that is no slice (no ".slice" suffix, a "/", an empty part as in "a--b.slice").
 */
export function expandSlice(slice: string): string | undefined {
  if (!slice.endsWith('.slice') || slice === '.slice' || slice.includes('/')) return undefined;
  const stem = slice.slice(0, -'.slice'.length);
  if (stem === '-') return '/';
  const parts = stem.split('-');
  if (parts.some((p) => p === '')) return undefined;
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join('-')}.slice`).join('');
}

/**
 * `linux.cgroupsPath` under --systemd-cgroup: "slice:prefix:name" (runc's format; an empty slice
 * is system.slice), or empty for system.slice:keel:<id>. A name ending in ".slice" asks for a
 * slice instead of a scope, as runc does.
 */
export function parseSystemdCgroupsPath(cgroupsPath: string | undefined, id: string): SystemdUnit {
  const given = cgroupsPath ?? '';
  const parts = given ? given.split(':') : [DEFAULT_SLICE, DEFAULT_PREFIX, id];
  if (parts.length !== 3) throw fail(given, `with --systemd-cgroup it is "slice:prefix:name" (e.g. system.slice:keel:${id}), not ${parts.length} part${parts.length === 1 ? '' : 's'}`);
  const [sliceGiven, prefix, name] = parts as [string, string, string];
  const slice = sliceGiven || DEFAULT_SLICE;
  const slicePath = expandSlice(slice);
  if (slicePath === undefined) throw fail(given, `"${slice}" is not a slice: give a name ending in ".slice", without "/" or empty parts between dashes`);
  if (!name) throw fail(given, 'the name (after the second ":") is empty');
  if (`${prefix}${name}`.includes('/')) throw fail(given, 'a systemd unit name cannot hold "/"');
  const kind = name.endsWith('.slice') ? 'slice' : 'scope';
  const unit = kind === 'slice' ? name : `${prefix}-${name}.scope`;
  // runc's path for a slice unit too: under the parent slice, whatever systemd makes of its name.
  return { slice, unit, kind, path: `${slicePath === '/' ? '' : slicePath}/${unit}` };
}

/**
 * The unit's own properties for StartTransientUnit (runc's): a description, its place (a scope
 * goes into the slice, a slice wants its parent), the container's init, delegation of the cgroup
 * to keel, accounting for every controller keel reads, and no default dependencies (a container's
 * scope must not be stopped with the units it would otherwise be ordered against).
 */
export function unitProperties(unit: SystemdUnit, id: string, pid: number | undefined, mode: 'v1' | 'v2'): SystemdProperty[] {
  const props: SystemdProperty[] = [{ name: 'Description', type: 's', value: `keel container ${id}` }];
  if (unit.kind === 'slice') props.push({ name: 'Wants', type: 'as', value: [unit.slice] });
  else props.push({ name: 'Slice', type: 's', value: unit.slice }, { name: 'Delegate', type: 'b', value: true });
  if (pid !== undefined) props.push({ name: 'PIDs', type: 'au', value: [pid] });
  for (const name of ['MemoryAccounting', 'CPUAccounting', mode === 'v2' ? 'IOAccounting' : 'BlockIOAccounting', 'TasksAccounting']) props.push({ name, type: 'b', value: true });
  props.push({ name: 'DefaultDependencies', type: 'b', value: false });
  return props;
}

const ANNOTATION_PREFIX = 'org.systemd.property.';

/**
 * runc's `org.systemd.property.<Name>` annotations: any unit property, its value in GVariant text
 * ("uint64 123456789", "'inactive-or-failed'"). A name is letters only; one ending in a lowercase
 * letter and "Sec" (TimeoutStopSec) is given in seconds and becomes its "USec" twin in
 * microseconds, as runc converts it. They go with the unit's own properties, which they may
 * override; the resource properties are set after them.
 */
export function annotationProperties(annotations: Record<string, string> = {}): SystemdProperty[] {
  const props: SystemdProperty[] = [];
  for (const [key, text] of Object.entries(annotations)) {
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    const fail = (why: string) => new KeelError(`config.json: /annotations/${key.replaceAll('~', '~0').replaceAll('/', '~1')}: ${why}`);
    let name = key.slice(ANNOTATION_PREFIX.length);
    if (!/^[A-Za-z]{3,}$/.test(name)) throw fail(`"${name}" is not a systemd property name (three or more letters, nothing else)`);
    let parsed;
    try {
      parsed = parseGVariant(text);
    } catch (err) {
      if (!(err instanceof GVariantError)) throw err;
      throw fail(`"${text}" is not a GVariant value (e.g. "uint64 5", "'text'", "true"): ${err.message}`);
    }
    let { type, value } = parsed;
    if (/[a-z]Sec$/.test(name)) {
      if (!isNumericType(type)) throw fail(`${name} is in seconds: give a number, not a value of type "${type}"`);
      const seconds = value as number | bigint;
      if (seconds < 0) throw fail(`${name} is in seconds: give a number of them, not ${seconds}`);
      name = `${name.slice(0, -'Sec'.length)}USec`;
      const usec = typeof seconds === 'bigint' ? seconds * 1_000_000n : BigInt(Math.floor(seconds * 1_000_000));
      if (usec >= 1n << 64n) throw fail(`${seconds} seconds do not fit a microsecond count`);
      value = usec;
      type = 't';
    }
    props.push({ name, type, value });
  }
  return props;
}
