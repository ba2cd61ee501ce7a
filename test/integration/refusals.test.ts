/**
 * Fields keel cannot carry out on this host are refused by `create` before anything exists,
 * naming the JSON pointer, and `keel validate` lists them too.
 */
import { existsSync } from 'node:fs';
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
  it(`linux.intelRdt: ${existsSync('/sys/fs/resctrl/schemata') ? 'resctrl is mounted here' : 'this host has no resctrl file system'}`, () => {
    const r = refused((s) => (s.linux!.intelRdt = { closID: 'keel-test', l3CacheSchema: 'L3:0=f' }), 'rdt');
    const why = existsSync('/sys/fs/resctrl/schemata') ? 'keel does not apply Intel RDT' : 'this host has no resctrl file system';
    expect(r.create).toMatch(new RegExp(`config\\.json: /linux/intelRdt: ${why}`));
    expect(r.validate).toContain(`/linux/intelRdt: ${why}`);
  });

  it('another platform\'s object (windows) and process.commandLine are refused on Linux', () => {
    const r = refused((s) => Object.assign(s, { windows: { layerFolders: ['C:\\\\layers\\\\1'] } }), 'windows');
    expect(r.create).toMatch(/config\.json: \/windows: configures a Windows container: keel runs Linux containers/);
    const c = refused((s) => Object.assign(s.process!, { commandLine: 'cmd.exe' }), 'cmdline');
    expect(c.create).toMatch(/\/process\/commandLine: is for Windows containers/);
  });
});
