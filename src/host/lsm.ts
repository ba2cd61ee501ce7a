import { existsSync, readFileSync } from 'node:fs';

import type { LsmFacts } from '../plan/lsm.js';

/** Which security modules this host runs, as runc judges it (AppArmor's module parameter, selinuxfs). */
export function readLsmFacts(): LsmFacts {
  const apparmor = existsSync('/sys/kernel/security/apparmor') && readOr('/sys/module/apparmor/parameters/enabled').startsWith('Y');
  return {
    apparmor,
    selinux: existsSync('/sys/fs/selinux/enforce'),
    apparmorExecAttr: existsSync('/proc/self/attr/apparmor/exec') ? '/proc/self/attr/apparmor/exec' : '/proc/self/attr/exec',
  };
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
