/**
 * The operator's shim config: the JSON file the runtime options' ConfigPath names (ctr's
 * --runtime-config-path, the CRI plugin's runtimeoptions.v1.Options for a runtime type it does not
 * know). `start` (native/launch/shim-rules.c shim_config_of) reads it for shimGroup; the long-lived
 * shim's Create reads it again, from the same options containerd sends with the CreateTaskRequest,
 * for systemdCgroup. Both refuse the same files with the same words (test/unit/shim/shim-rules.test.ts
 * runs them on the same generated files), so that what start let through Create does not refuse.
 */
import { readFileSync } from 'node:fs';

import { decode, type Message } from '../protobuf/proto3.js';
import { strerror } from '../util/errno.js';
import { errnoCode, KeelError, wellFormed } from '../util/errors.js';
import { RuntimeOptions } from './messages.js';

export interface ShimConfig {
  /** Which containers share a shim: runc's rule (a pod, else the container alone), or the namespace. */
  shimGroup: 'pod' | 'namespace';
  /** Create with systemd's cgroup driver, as runc's shim with SystemdCgroup (keel --systemd-cgroup). */
  systemdCgroup: boolean;
}

const KEYS = ['shimGroup', 'systemdCgroup'];
const RUNTIME_OPTIONS_TYPE = 'runtimeoptions.v1.Options';

/** A refusal of the file's content, without the file's name (ShimConfigError adds it). */
class Refusal extends Error {}

/**
 * A key as the error shows it: in double quotes, '"' and '\' escaped, control characters as
 * \u00XX, a lone surrogate as U+FFFD (the C side decodes one so), as shim-rules.c's quote_name.
 */
function quoteName(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it escapes
  const escaped = wellFormed(name).replace(/["\\\x00-\x1f\x7f]/g, (c) => (c === '"' || c === '\\' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return `"${escaped}"`;
}

/** The settings of a shim config's bytes; throws one line saying what is wrong (not naming the file). */
export function parseShimConfig(bytes: Uint8Array): ShimConfig {
  let text: string;
  try {
    // A byte-order mark is kept, and so refused by JSON.parse, as the C reader refuses it.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Refusal('not JSON: bytes that are not UTF-8');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Refusal(`not JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Refusal('not a JSON object');
  const settings = doc as Record<string, unknown>;
  const unknown = Object.keys(settings).find((key) => !KEYS.includes(key));
  if (unknown !== undefined) throw new Refusal(`unknown key ${quoteName(unknown)}: the keys are shimGroup and systemdCgroup`);
  const { shimGroup = 'pod', systemdCgroup = false } = settings;
  if (shimGroup !== 'pod' && shimGroup !== 'namespace') throw new Refusal('shimGroup must be "pod" or "namespace"');
  if (typeof systemdCgroup !== 'boolean') throw new Refusal('systemdCgroup must be true or false');
  return { shimGroup, systemdCgroup };
}

/** The ConfigPath of runtime options (an Any), or undefined for other options or none: start's rule (shim_options_config_path). */
export function shimConfigPathOf(options: Message | undefined): string | undefined {
  const typeUrl = options?.typeUrl as string | undefined;
  if (!typeUrl || !(typeUrl === RUNTIME_OPTIONS_TYPE || typeUrl.endsWith(`/${RUNTIME_OPTIONS_TYPE}`))) return undefined;
  const path = decode(RuntimeOptions, options!.value as Buffer).configPath as string;
  if (!path) return undefined;
  if (path.includes('\0')) throw new KeelError('runtime options: ConfigPath holds a NUL character');
  return path;
}

/** The shim config at path, with start's words for a file it cannot read or refuses. */
export function readShimConfig(path: string): ShimConfig {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = errnoCode(err);
    throw new KeelError(`read the shim config ${path} (the runtime options' ConfigPath): ${code ? strerror(code) : String(err)}`);
  }
  try {
    return parseShimConfig(bytes);
  } catch (err) {
    if (err instanceof Refusal) throw new KeelError(`shim config ${path}: ${err.message}`);
    throw err;
  }
}
