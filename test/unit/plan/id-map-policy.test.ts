/**
 * Who may write a user namespace's maps, and how: the kernel's rules for uid_map/gid_map
 * (user_namespaces(7): one line of the writer's own id without CAP_SETUID, setgroups "deny"
 * first for gid_map; with it, any id mapped in the writer's namespace) and shadow's newuidmap
 * rules (the caller's own id and its /etc/subuid ranges).
 */
import { describe, expect, it } from 'vitest';

import { decideMapWriter, parseOwnMap, parseSubordinateIds, type IdFacts } from '../../../src/plan/id-map-policy.js';

const initial = parseOwnMap('         0          0 4294967295\n');
const user: IdFacts = { euid: 1001, own: 1001, mapped: initial, subordinate: [{ start: 200000, size: 65536 }], helper: '/usr/bin/newuidmap' };
const field = '/linux/uidMappings';

describe('decideMapWriter', () => {
  it('root in the initial namespace writes any mapping itself', () => {
    expect(decideMapWriter([{ containerID: 0, hostID: 100000, size: 65536 }], field, 'uid', { ...user, euid: 0, own: 0 })).toEqual({ writer: 'direct' });
  });

  it('root of a user namespace writes only ids its own namespace maps, and names the entry it cannot', () => {
    const facts = { ...user, euid: 0, own: 0, mapped: parseOwnMap('0 1001 1\n1 200000 65536\n') };
    expect(decideMapWriter([{ containerID: 0, hostID: 0, size: 65537 }], field, 'uid', facts)).toEqual({ writer: 'direct' });
    const d = decideMapWriter([{ containerID: 0, hostID: 0, size: 1 }, { containerID: 1, hostID: 70000, size: 10 }], field, 'uid', facts);
    expect(d.problem?.path).toBe('/linux/uidMappings/1');
    expect(d.problem?.message).toMatch(/host uids 70000-70009 are not mapped in the user namespace keel runs in \(it maps 0-65536\)/);
  });

  it('a plain user writes a single mapping of its own id itself', () => {
    expect(decideMapWriter([{ containerID: 0, hostID: 1001, size: 1 }], field, 'uid', user)).toEqual({ writer: 'direct' });
  });

  it('its own id plus its /etc/subuid range goes through newuidmap', () => {
    const maps = [{ containerID: 0, hostID: 1001, size: 1 }, { containerID: 1, hostID: 200000, size: 65536 }];
    expect(decideMapWriter(maps, field, 'uid', user)).toEqual({ writer: 'helper' });
  });

  it('an id beyond its ranges is refused, naming the entry and the file to fix', () => {
    const d = decideMapWriter([{ containerID: 0, hostID: 1001, size: 1 }, { containerID: 1, hostID: 200000, size: 65537 }], field, 'uid', user);
    expect(d.problem?.path).toBe('/linux/uidMappings/1');
    expect(d.problem?.message).toMatch(/host uids 200000-265536 are not this user's to map: keel runs rootless as uid 1001, .*\/etc\/subuid gives it \(200000-265535\)/);
    expect(decideMapWriter([{ containerID: 0, hostID: 0, size: 1 }], '/linux/gidMappings', 'gid', { ...user, own: 1002 }).problem?.path).toBe('/linux/gidMappings/0');
  });

  it('a mapping that needs the helper is refused when it is not installed', () => {
    const d = decideMapWriter([{ containerID: 0, hostID: 200000, size: 10 }], field, 'uid', { ...user, helper: undefined });
    expect(d.problem).toEqual({ path: field, message: expect.stringMatching(/needs newuidmap, which is not installed: install Debian's uidmap package/) });
  });

  it('no mappings: nothing to write', () => {
    expect(decideMapWriter([], field, 'uid', user)).toEqual({});
  });
});

describe('parseSubordinateIds', () => {
  it("takes the user's lines, by name or by number, and nobody else's", () => {
    const text = 'alice:100000:65536\nbob:165536:65536\n1001:300000:10\n# comment\nbad line\nalice:400000:0\n';
    expect(parseSubordinateIds(text, 'alice', 1001)).toEqual([{ start: 100000, size: 65536 }, { start: 300000, size: 10 }]);
    expect(parseSubordinateIds(text, 'carol', 1003)).toEqual([]);
  });
});
