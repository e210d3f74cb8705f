import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  analyzeRootLayout,
  type CommandRunner,
  detectRootLuksDevice,
  FindmntOutput,
  findRootLuksDevice,
  LsblkOutput,
} from './root-device.js';

const FIXTURES = join(import.meta.dirname, './fixtures/lsblk');
const raw = (layout: string, tool: 'findmnt' | 'lsblk') =>
  readFileSync(join(FIXTURES, `${layout}.${tool}.json`), 'utf8');
const load = (layout: string) => ({
  findmnt: FindmntOutput.parse(JSON.parse(raw(layout, 'findmnt'))),
  lsblk: LsblkOutput.parse(JSON.parse(raw(layout, 'lsblk'))),
});

describe('analyzeRootLayout over recorded lsblk/findmnt output', () => {
  const cases: [string, { luks: { path: string; confirmed: boolean }[]; unencrypted: string[] }][] = [
    ['plain-luks', { luks: [{ path: '/dev/nvme0n1p3', confirmed: true }], unencrypted: [] }],
    ['lvm-on-luks', { luks: [{ path: '/dev/nvme0n1p3', confirmed: true }], unencrypted: [] }],
    ['luks-on-lvm', { luks: [{ path: '/dev/mapper/vg0-root', confirmed: true }], unencrypted: [] }],
    ['multi-disk-vg', { luks: [{ path: '/dev/sda3', confirmed: true }], unencrypted: ['/dev/sdb1'] }],
    ['no-encryption', { luks: [], unencrypted: ['/dev/vda1'] }],
    ['old-util-linux', { luks: [{ path: '/dev/nvme0n1p3', confirmed: true }], unencrypted: [] }],
    ['btrfs-no-udev', { luks: [{ path: '/dev/nvme0n1p3', confirmed: false }], unencrypted: [] }],
  ];
  for (const [layout, expected] of cases) {
    it(layout, () => {
      const { findmnt, lsblk } = load(layout);
      const result = analyzeRootLayout(findmnt, lsblk);
      expect(result.luks).toEqual(expected.luks);
      expect(result.unencrypted).toEqual(expected.unencrypted);
    });
  }

  it('strips the btrfs subvolume from the source and finds / by path when maj:min is virtual', () => {
    const { findmnt, lsblk } = load('btrfs-no-udev');
    expect(analyzeRootLayout(findmnt, lsblk).rootSource).toMatch(/^\/dev\/mapper\/luks-[0-9a-f-]+$/);
  });

  it('falls back to /dev/mapper names when lsblk has no PATH column (util-linux < 2.33)', () => {
    const { findmnt } = load('old-util-linux');
    const noPath = JSON.parse(raw('old-util-linux', 'lsblk').replace(/\s*"path": "[^"]*",/g, ''));
    expect(JSON.stringify(noPath)).not.toContain('"path"');
    const result = analyzeRootLayout(findmnt, LsblkOutput.parse(noPath));
    expect(result.luks).toEqual([{ path: '/dev/nvme0n1p3', confirmed: true }]);
  });

  it('finds / by mount point when neither maj:min nor path matches', () => {
    const { lsblk } = load('lvm-on-luks');
    const findmnt = FindmntOutput.parse({ filesystems: [{ source: '/dev/dm-1', target: '/' }] });
    expect(analyzeRootLayout(findmnt, lsblk).luks.map((c) => c.path)).toEqual(['/dev/nvme0n1p3']);
  });
});

describe('findRootLuksDevice (runner)', () => {
  /** A runner that answers like util-linux 2.34: MOUNTPOINTS is an unknown column there. */
  function oldUtilLinux(calls: string[][]): CommandRunner {
    return async (cmd, args) => {
      calls.push([cmd, ...args]);
      if (cmd === 'findmnt') return { code: 0, stdout: raw('old-util-linux', 'findmnt'), stderr: '' };
      if (args.join(' ').includes('MOUNTPOINTS'))
        return { code: 1, stdout: '', stderr: 'lsblk: unknown column: MOUNTPOINTS' };
      return { code: 0, stdout: raw('old-util-linux', 'lsblk'), stderr: '' };
    };
  }

  it('retries lsblk with MOUNTPOINT on old util-linux and confirms the candidate with isLuks2', async () => {
    const calls: string[][] = [];
    const checked: string[] = [];
    const result = await findRootLuksDevice(async (d) => {
      checked.push(d);
      return true;
    }, oldUtilLinux(calls));
    expect(result.device).toBe('/dev/nvme0n1p3');
    expect(checked).toEqual(['/dev/nvme0n1p3']);
    expect(calls.filter((c) => c[0] === 'lsblk').map((c) => c.at(-1))).toEqual([
      'NAME,PATH,TYPE,FSTYPE,PKNAME,MAJ:MIN,MOUNTPOINTS',
      'NAME,PATH,TYPE,FSTYPE,PKNAME,MAJ:MIN,MOUNTPOINT',
    ]);
  });

  it('returns no device when the only candidate is not LUKS2 (e.g. LUKS1)', async () => {
    const result = await findRootLuksDevice(async () => false, oldUtilLinux([]));
    expect(result.device).toBeNull();
    expect(result.luks).toHaveLength(1);
  });

  it('runs the real findmnt, lsblk and cryptsetup on this machine', async () => {
    const result = await detectRootLuksDevice();
    expect(result.rootSource.startsWith('/')).toBe(true);
    expect(result.luks.length + result.unencrypted.length).toBeGreaterThan(0);
  });
});
