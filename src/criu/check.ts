/**
 * Whether CRIU can checkpoint and restore on this host: `criu check` (its own test of the kernel
 * features it needs) must pass. Both verbs ask before they change anything, and `features` reports
 * checkpoint/restore only when it passes.
 */
import { spawnSync } from 'node:child_process';

/** runc's --criu default: the binary found on PATH. */
export const DEFAULT_CRIU = 'criu';
/** `criu check` probes the kernel in a few hundred ms; a wedged one must not hang keel. */
const CHECK_TIMEOUT_MS = 30_000;

export type CriuVerdict = { ready: true; version: string } | { ready: false; reason: string };

/** What running one CRIU command gave: spawnSync's result, narrowed. */
export interface CriuRun {
  /** The spawn's own failure: ENOENT for a missing binary, ETIMEDOUT. */
  errorCode?: string;
  status: number | null;
  output: string;
}

/**
 * The verdict on `criu check` (and `criu --version` once it passed), in one line: CRIU's first
 * "Error" line is the cause (the lines after it are what it led to).
 */
export function criuVerdict(binary: string, check: CriuRun, version?: CriuRun): CriuVerdict {
  if (check.errorCode === 'ENOENT') {
    return { ready: false, reason: `CRIU is not installed: "${binary}" was not found (install the criu package, or name its binary with --criu PATH)` };
  }
  if (check.errorCode === 'ETIMEDOUT') return { ready: false, reason: `"${binary} check" did not finish in ${CHECK_TIMEOUT_MS / 1000} s` };
  if (check.errorCode) return { ready: false, reason: `cannot run "${binary} check": ${check.errorCode}` };
  if (check.status !== 0) {
    const lines = check.output.split('\n').map((l) => l.trim()).filter(Boolean);
    const cause = lines.find((l) => /^Error\b/.test(l))?.replace(/^Error \([^)]*\):\s*/, '') ?? lines[0] ?? `exit status ${check.status}`;
    return { ready: false, reason: `CRIU cannot checkpoint on this host: "${binary} check" fails with "${cause}"` };
  }
  const found = /Version:\s*(\S+)/.exec(version?.output ?? '');
  return { ready: true, version: found ? found[1]! : 'unknown' };
}

function runCriu(binary: string, args: string[]): CriuRun {
  const r = spawnSync(binary, args, { encoding: 'utf8', timeout: CHECK_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  return { errorCode: (r.error as NodeJS.ErrnoException | undefined)?.code, status: r.status, output: `${r.stdout ?? ''}\n${r.stderr ?? ''}` };
}

/** Runs `criu check` (and `criu --version` when it passes). */
export function checkCriu(binary: string = DEFAULT_CRIU): CriuVerdict {
  const check = runCriu(binary, ['check']);
  return criuVerdict(binary, check, check.status === 0 ? runCriu(binary, ['--version']) : undefined);
}
