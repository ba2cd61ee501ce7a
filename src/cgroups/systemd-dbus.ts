/**
 * SystemdManager (systemd-driver.ts) over D-Bus: org.freedesktop.systemd1.Manager on the system
 * bus. A job (starting or stopping a unit) is waited for through the JobRemoved signal, which
 * carries its result; every wait is bounded and a timeout names the unit and the call.
 */
import { DbusConnection, DbusError, systemBusPath } from '../dbus/connection.js';
import type { Variant } from '../dbus/marshal.js';
import type { Message } from '../dbus/message.js';
import { KeelError } from '../util/errors.js';
import type { JobResult, SystemdManager } from './systemd-driver.js';
import type { SystemdProperty } from './systemd-properties.js';

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';

/** How long a call, or a job, may take before keel gives up on systemd (runc waits 30 s for a job too). */
export const SYSTEMD_TIMEOUT_MS = 30_000;
/** How long a stopped unit may take to be unloaded. */
const UNLOAD_TIMEOUT_MS = 10_000;

/** "252.39-1~deb12u2" (or "v252") -> 252; 0 when there is no leading number. */
export function parseSystemdVersion(text: string): number {
  const m = /^v?(\d+)/.exec(text.trim());
  return m ? Number(m[1]) : 0;
}

/** Whether a JobRemoved result is one systemd documents. */
const JOB_RESULTS = new Set<string>(['done', 'canceled', 'timeout', 'failed', 'dependency', 'skipped']);

export class DbusSystemdManager implements SystemdManager {
  /** JobRemoved results by job path, kept from the subscription on (a job can end before its call returns). */
  private readonly finished = new Map<string, JobResult>();
  private readonly waiters = new Map<string, (result: JobResult) => void>();
  private cachedVersion: number | undefined;

  private constructor(
    private readonly bus: DbusConnection,
    private readonly timeoutMs: number,
  ) {
    bus.onSignal((m) => this.onSignal(m));
  }

  /** Connects to the system bus and subscribes to systemd's job signals. */
  static async connect(busPath = systemBusPath(), timeoutMs = SYSTEMD_TIMEOUT_MS): Promise<DbusSystemdManager> {
    const bus = await DbusConnection.open(busPath, timeoutMs).catch((err: Error) => {
      throw new KeelError(`systemd: keel reaches systemd through the system bus, and ${err.message} (is dbus running? systemctl status dbus)`);
    });
    const manager = new DbusSystemdManager(bus, timeoutMs);
    const match = `type='signal',sender='${SYSTEMD}',path='${MANAGER_PATH}',interface='${MANAGER}',member='JobRemoved'`;
    await bus.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's', body: [match], timeoutMs });
    // systemd sends its signals only while some client is subscribed (as runc's go-systemd does).
    await manager.managerCall('Subscribe');
    return manager;
  }

  close(): void {
    this.bus.close();
  }

  async version(): Promise<number> {
    if (this.cachedVersion === undefined) {
      const [v] = (await this.bus.call({
        destination: SYSTEMD,
        path: MANAGER_PATH,
        interface: 'org.freedesktop.DBus.Properties',
        member: 'Get',
        signature: 'ss',
        body: [MANAGER, 'Version'],
        timeoutMs: this.timeoutMs,
      })) as [Variant];
      this.cachedVersion = parseSystemdVersion(String(v.value));
    }
    return this.cachedVersion;
  }

  async startTransientUnit(unit: string, properties: SystemdProperty[]): Promise<JobResult | 'exists'> {
    let job: string;
    try {
      [job] = (await this.managerCall('StartTransientUnit', 'ssa(sv)a(sa(sv))', [unit, 'replace', toDbus(properties), []])) as [string];
    } catch (err) {
      if (err instanceof DbusError && err.errorName === 'org.freedesktop.systemd1.UnitExists') return 'exists';
      throw err;
    }
    return this.waitForJob(job, `starting ${unit}`);
  }

  async setUnitProperties(unit: string, properties: SystemdProperty[]): Promise<void> {
    if (properties.length) await this.managerCall('SetUnitProperties', 'sba(sv)', [unit, true, toDbus(properties)]);
  }

  /** Stops the unit and waits until systemd has unloaded it (a transient unit is then gone). */
  async stopUnit(unit: string): Promise<JobResult | 'gone'> {
    let job: string;
    try {
      [job] = (await this.managerCall('StopUnit', 'ss', [unit, 'replace'])) as [string];
    } catch (err) {
      if (isNoSuchUnit(err)) return 'gone';
      throw err;
    }
    const result = await this.waitForJob(job, `stopping ${unit}`);
    await this.resetFailedUnit(unit);
    await this.waitUntilUnloaded(unit);
    return result;
  }

  async resetFailedUnit(unit: string): Promise<void> {
    try {
      await this.managerCall('ResetFailedUnit', 's', [unit]);
    } catch (err) {
      // A unit that is gone, or not failed, has nothing to reset.
      if (!(err instanceof DbusError)) throw err;
    }
  }

  /** GetUnit: the unit's object path, or undefined when systemd has no such unit loaded. */
  async getUnit(unit: string): Promise<string | undefined> {
    try {
      const [path] = (await this.managerCall('GetUnit', 's', [unit])) as [string];
      return path;
    } catch (err) {
      if (isNoSuchUnit(err)) return undefined;
      throw err;
    }
  }

  private async waitUntilUnloaded(unit: string): Promise<void> {
    const deadline = Date.now() + UNLOAD_TIMEOUT_MS;
    while ((await this.getUnit(unit)) !== undefined) {
      if (Date.now() > deadline) throw new KeelError(`systemd: ${unit} is still loaded ${UNLOAD_TIMEOUT_MS / 1000} s after it stopped (systemctl status ${unit})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private managerCall(member: string, signature?: string, body?: unknown[]): Promise<unknown[]> {
    return this.bus.call({ destination: SYSTEMD, path: MANAGER_PATH, interface: MANAGER, member, signature, body, timeoutMs: this.timeoutMs });
  }

  private waitForJob(job: string, what: string): Promise<JobResult> {
    const done = this.finished.get(job);
    if (done) {
      this.finished.delete(job);
      return Promise.resolve(done);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(job);
        reject(new KeelError(`systemd: ${what}: its job ${job} did not finish within ${this.timeoutMs / 1000} s (systemctl list-jobs)`));
      }, this.timeoutMs);
      this.waiters.set(job, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
    });
  }

  private onSignal(m: Message): void {
    if (m.interface !== MANAGER || m.member !== 'JobRemoved' || m.signature !== 'uoss') return;
    const [, job, , result] = m.body as [number, string, string, string];
    const r = (JOB_RESULTS.has(result) ? result : 'failed') as JobResult;
    const waiter = this.waiters.get(job);
    if (waiter) {
      this.waiters.delete(job);
      waiter(r);
    } else this.finished.set(job, r);
  }
}

const isNoSuchUnit = (err: unknown) => err instanceof DbusError && (err.errorName === 'org.freedesktop.systemd1.NoSuchUnit' || err.errorName === 'org.freedesktop.DBus.Error.UnknownObject');

/** Properties as a(sv): each value in a variant of its own signature. */
export function toDbus(properties: SystemdProperty[]): [string, Variant][] {
  return properties.map((p) => [p.name, { signature: p.type, value: p.value }]);
}
