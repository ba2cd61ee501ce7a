import { appendFileSync } from 'node:fs';

export type LogFormat = 'text' | 'json';
type Level = 'debug' | 'info' | 'warning' | 'error';

/**
 * Where keel's messages go. Errors and warnings always reach stderr as one line; with --log they
 * are also appended to that file, in runc's text or JSON shape (containerd and podman read the
 * last JSON "error" line to tell the user why a container failed). --debug adds a line for each
 * step, with the time since the keel process started.
 */
export class Logger {
  constructor(
    private readonly file: string | undefined,
    private readonly format: LogFormat,
    readonly debugEnabled: boolean,
  ) {}

  debug(msg: string): void {
    if (!this.debugEnabled) return;
    // performance.now() counts from the start of the process: Node's own start-up is included.
    const line = `${msg} (${performance.now().toFixed(1)} ms)`;
    this.write('debug', line, true);
  }

  warn(msg: string): void {
    this.write('warning', msg, true);
  }

  error(msg: string): void {
    this.write('error', msg, true);
  }

  private write(level: Level, msg: string, toStderr: boolean): void {
    if (this.file) {
      try {
        appendFileSync(this.file, this.formatLine(level, msg) + '\n');
      } catch {
        // A broken log file must not hide the message itself, which still reaches stderr.
      }
    }
    if (toStderr && !(this.file && level === 'debug')) {
      process.stderr.write(level === 'error' ? `keel: ${msg}\n` : `keel: ${level}: ${msg}\n`);
    }
  }

  private formatLine(level: Level, msg: string): string {
    const time = new Date().toISOString();
    if (this.format === 'json') return JSON.stringify({ level, msg, time });
    return `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  }
}

/** The logger lives under a registered symbol, so that every bundle (dist/keel-systemd.cjs too) logs where the global flags said. */
const LOGGER = Symbol.for('keel.logger');
const shared = globalThis as { [LOGGER]?: Logger };

export function setLogger(logger: Logger): void {
  shared[LOGGER] = logger;
}

export function log(): Logger {
  return (shared[LOGGER] ??= new Logger(undefined, 'text', false));
}
