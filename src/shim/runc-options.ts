/** runc's shim options (containerd.runc.v1.Options) as keel's shim takes them. Pure. */
import type { Message } from '../protobuf/proto3.js';

/**
 * runc's options (containerd.runc.v1.Options) that keel's shim does not apply, by their Go
 * names, when set: refused rather than dropped. (ShimCgroup would move the shim, IoUid/IoGid
 * would own its fifos; the shim reads Root, NoNewKeyring and SystemdCgroup.)
 */
export function unsupportedRuncOptions(options: Message | undefined): string[] {
  if (!options) return [];
  const names: [string, string][] = [['shimCgroup', 'ShimCgroup'], ['ioUid', 'IoUid'], ['ioGid', 'IoGid']];
  return names.filter(([field]) => options[field]).map(([, go]) => go);
}
