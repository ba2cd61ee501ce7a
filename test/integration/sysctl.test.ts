/** Namespaced sysctls: never written to the host, even through a namespace joined by path. */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { mountsMentioning, processesMentioning } from '../helpers/host.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
const KEY = 'net.ipv4.tcp_keepalive_probes';
const FILE = '/proc/sys/net/ipv4/tcp_keepalive_probes';

describe('sysctls in a namespace joined by path', () => {
  for (const path of ['/proc/self/ns/net', `/proc/${process.pid}/ns/net`]) {
    it(`refuses ${KEY} when the network namespace is the host's (${path.replace(String(process.pid), '<pid>')}), and leaves the host's value alone`, () => {
      const before = readFileSync(FILE, 'utf8').trim();
      const value = before === '7' ? '8' : '7';
      const b = bed.bundle((s) => {
        s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'network').concat({ type: 'network', path });
        s.linux!.sysctl = { [KEY]: value };
      });
      const r = bed.keel.run(['create', '--bundle', b.dir, `sysctl-${process.pid}`]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([
        `keel: ${b.dir}/config.json: /linux/sysctl/${KEY}: not allowed in the host's network namespace: the network namespace path "${path}" is keel's own, so setting it would change the host (give the container a network namespace of its own, or drop the sysctl)`,
      ]);
      const after = readFileSync(FILE, 'utf8').trim();
      if (after !== before) writeFileSync(FILE, before); // a keel that wrote the host's value: put it back
      expect(after).toBe(before);
      expect(bed.keel.containers()).toEqual([]);
      expect(mountsMentioning(b.dir)).toEqual([]);
      expect(processesMentioning(b.dir)).toEqual([]);
    });
  }

  it("sets it in a network namespace of the container's own, not on the host", () => {
    const before = readFileSync(FILE, 'utf8').trim();
    const value = before === '7' ? '8' : '7';
    const b = bed.bundle((s) => {
      s.process!.args = ['cat', FILE];
      s.linux!.sysctl = { [KEY]: value };
    });
    expect(bed.keel.ok(['run', '--bundle', b.dir, `sysctl-own-${process.pid}`])).toBe(`${value}\n`);
    expect(readFileSync(FILE, 'utf8').trim()).toBe(before);
  });
});
