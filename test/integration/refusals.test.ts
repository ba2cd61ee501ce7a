/**
 * Fields keel cannot carry out on this host are refused by `create` before anything exists,
 * naming the JSON pointer, and `keel validate` lists them too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { mountsMentioning, processesMentioning } from '../helpers/host.js';
import { useTestbed } from '../helpers/testbed.js';
import type { Spec } from '../../src/spec/types.js';

const bed = useTestbed();

function refused(edit: (s: Spec) => void, name: string) {
  const b = bed.bundle(edit);
  const create = bed.keel.run(['create', '--bundle', b.dir, `${name}-${process.pid}`]);
  expect(create.code).toBe(1);
  expect(bed.keel.containers()).toEqual([]);
  expect(mountsMentioning(b.dir)).toEqual([]);
  expect(processesMentioning(b.dir)).toEqual([]);
  const validate = bed.keel.run(['validate', '--bundle', b.dir]);
  expect(validate.code).toBe(1);
  return { create: create.stderr, validate: validate.stdout + validate.stderr };
}

describe('refused fields', () => {
  it(`linux.intelRdt: ${existsSync('/sys/fs/resctrl/schemata') ? 'resctrl is mounted here: applied' : 'this host has no resctrl file system: refused'}`, () => {
    if (existsSync('/sys/fs/resctrl/schemata')) {
      // Where resctrl is mounted, the init joins a group named after the container.
      const b = bed.bundle((s) => {
        s.process!.args = ['sleep', '30'];
        s.linux!.intelRdt = {};
      });
      const id = `rdt-${process.pid}`;
      bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
      const pid = JSON.parse(bed.keel.ok(['state', id])).pid;
      expect(readFileSync(`/sys/fs/resctrl/${id}/tasks`, 'utf8').split('\n')).toContain(String(pid));
      bed.keel.ok(['delete', '-f', id]);
      expect(existsSync(`/sys/fs/resctrl/${id}`)).toBe(false);
      return;
    }
    const r = refused((s) => (s.linux!.intelRdt = { closID: 'keel-test', l3CacheSchema: 'L3:0=f' }), 'rdt');
    expect(r.create).toMatch(/config\.json: \/linux\/intelRdt: this host has no resctrl file system \(\/sys\/fs\/resctrl is not mounted\)/);
    expect(r.validate).toContain('/linux/intelRdt: this host has no resctrl file system');
  });

  it('another platform\'s object (windows) and process.commandLine are refused on Linux', () => {
    const r = refused((s) => Object.assign(s, { windows: { layerFolders: ['C:\\\\layers\\\\1'] } }), 'windows');
    expect(r.create).toMatch(/config\.json: \/windows: configures a Windows container: keel runs Linux containers/);
    const c = refused((s) => Object.assign(s.process!, { commandLine: 'cmd.exe' }), 'cmdline');
    expect(c.create).toMatch(/\/process\/commandLine: is for Windows containers/);
  });
});
