import { readFileSync } from 'node:fs';

export interface ProcStat {
  state: string;
  startTime: number;
}

/** Fields of /proc/<pid>/stat that keel needs, or undefined when there is no such process. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, startTime: Number(fields[19]) };
}

/** Alive means: this PID exists, is the same process (start time), and has not exited. */
export function isSameLiveProcess(pid: number, startTime: number | undefined): boolean {
  const stat = readProcStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || stat.startTime === startTime;
}
