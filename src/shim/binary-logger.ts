/**
 * A binary:// logging program, started as containerd 1.6's runc shim starts one
 * (pkg/process/io.go): the read ends of the process's stdout and stderr pipes are its fds 3 and 4,
 * the write end of a third pipe its fd 5, which it writes a byte to (or closes) once it is ready;
 * its environment is CONTAINER_ID and CONTAINER_NAMESPACE alone, its own stdio /dev/null. The
 * process is made only after that. At the process's Delete the program gets SIGTERM, to flush
 * and exit, and SIGKILL if it is still there 12 s later.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, read } from 'node:fs';

import { pipe } from '../native/libkeel.js';
import { KeelError } from '../util/errors.js';

import type { LoggerCommand } from './stdio-uri.js';

/** containerd's binaryIOProcTermTimeout. */
const STOP_GRACE_MS = 12_000;

export class BinaryLogger {
  /** The pipes' write ends the process gets as its stdout and stderr, until handed over. */
  private writeEnds: number[] | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
    readonly stdout: number,
    readonly stderr: number,
  ) {
    this.writeEnds = [stdout, stderr];
  }

  static async start(command: LoggerCommand, env: Record<string, string>): Promise<BinaryLogger> {
    const fds: number[] = [];
    const pair = () => {
      const ends = pipe();
      fds.push(...ends);
      return ends;
    };
    const closeAll = (which: number[]) => {
      for (const fd of which) {
        closeSync(fd);
        fds.splice(fds.indexOf(fd), 1);
      }
    };
    try {
      const [outRead, outWrite] = pair();
      const [errRead, errWrite] = pair();
      const [readyRead, readyWrite] = pair();
      const child = spawn(command.path, command.args, { stdio: ['ignore', 'ignore', 'ignore', outRead, errRead, readyWrite], env });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.pid === undefined) {
        const err = await new Promise<Error>((resolve) => child.once('error', resolve));
        throw new KeelError(`cannot start the binary:// logging program ${command.path}: ${err.message}`);
      }
      child.on('error', () => {}); // a failed kill at stop: it has exited
      closeAll([outRead, errRead, readyWrite]);
      // Ready when it writes, or when it closes fd 5 or exits (end of file), as containerd takes it.
      await new Promise<void>((resolve) => read(readyRead, Buffer.alloc(1), 0, 1, null, () => resolve()));
      closeAll([readyRead]);
      fds.length = 0;
      return new BinaryLogger(child, exited, outWrite, errWrite);
    } catch (err) {
      closeAll([...fds]);
      throw err;
    }
  }

  /** Once the process holds its stdout and stderr (or will never start): the shim's copies go. */
  closeWriteEnds(): void {
    for (const fd of this.writeEnds ?? []) closeSync(fd);
    this.writeEnds = undefined;
  }

  /** SIGTERM, then SIGKILL after containerd's grace period; resolves once the program has exited. */
  async stop(): Promise<void> {
    this.closeWriteEnds();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
