import { execFile } from 'node:child_process';
import { z } from 'zod';
import { Cryptsetup, type CryptsetupOptions } from './cryptsetup.js';

/**
 * Finds the LUKS device behind `/`: `findmnt` names the source of `/`, `lsblk -s` (inverse tree: each
 * device lists the devices it is built on as its children) is walked from that source down through LVM,
 * RAID and partitions to the `crypt` mapping; the crypt node's child is the LUKS container.
 *
 * Layouts handled (recorded outputs in src-agent/linux/fixtures/lsblk): plain LUKS, LVM on LUKS, LUKS on LVM, a volume
 * group over several disks where some are not encrypted (Fleet #47256), no encryption, btrfs subvolumes,
 * util-linux before 2.37 printing `mountpoint` instead of `mountpoints` (Fleet #24190), and `fstype` null
 * when udev is not there (the caller confirms by reading the LUKS header).
 */

type LsblkNode = {
  name: string;
  path?: string | null | undefined;
  type: string;
  fstype?: string | null | undefined;
  'maj:min'?: string | null | undefined;
  mountpoint?: string | null | undefined;
  mountpoints?: (string | null)[] | null | undefined;
  children?: LsblkNode[] | undefined;
};

const LsblkNodeSchema: z.ZodType<LsblkNode> = z.lazy(() =>
  z.looseObject({
    name: z.string(),
    path: z.string().nullish(),
    type: z.string(),
    fstype: z.string().nullish(),
    'maj:min': z.string().nullish(),
    mountpoint: z.string().nullish(),
    mountpoints: z.array(z.string().nullable()).nullish(),
    children: z.array(LsblkNodeSchema).optional(),
  }),
);

export const LsblkOutput = z.object({ blockdevices: z.array(LsblkNodeSchema) });
export type LsblkOutput = z.infer<typeof LsblkOutput>;

export const FindmntOutput = z.object({
  filesystems: z
    .array(
      z.looseObject({
        source: z.string(),
        target: z.string(),
        fstype: z.string().optional(),
        'maj:min': z.string().optional(),
      }),
    )
    .min(1),
});
export type FindmntOutput = z.infer<typeof FindmntOutput>;

export type LuksCandidate = {
  path: string;
  /** lsblk said `crypto_LUKS`; false when fstype was null (no udev) and cryptsetup must confirm. */
  confirmed: boolean;
};

export type RootLayout = {
  /** `/`'s source as findmnt prints it, without a btrfs `[/subvolume]` suffix. */
  rootSource: string;
  /** LUKS containers that `/` is built on, in lsblk order. */
  luks: LuksCandidate[];
  /** Devices under `/` with no encryption above them: part of `/` is stored in clear. */
  unencrypted: string[];
};

/** Device types we walk through to reach what they are built on. */
const STACKING_TYPES = new Set(['lvm', 'dm', 'mpath', 'crypt']);
const isRaid = (type: string) => type.startsWith('raid') || type === 'md';

/** Pure: the LUKS devices under `/`, from parsed findmnt and lsblk -s output. */
export function analyzeRootLayout(findmnt: FindmntOutput, lsblk: LsblkOutput): RootLayout {
  const fs = findmnt.filesystems.find((f) => f.target === '/') ?? findmnt.filesystems[0];
  if (!fs) throw new Error('findmnt printed no filesystem for /');
  const rootSource = fs.source.replace(/\[.*\]$/, '');
  const root = findRootNode(lsblk.blockdevices, rootSource, fs['maj:min']);
  const layout: RootLayout = { rootSource, luks: [], unencrypted: [] };
  if (root) walk(root, layout);
  return layout;
}

function walk(node: LsblkNode, layout: RootLayout): void {
  if (node.type === 'crypt') {
    for (const container of node.children ?? []) {
      const path = pathOf(container);
      if (layout.luks.some((c) => c.path === path)) continue;
      if (container.fstype && container.fstype !== 'crypto_LUKS') continue; // e.g. plain dm-crypt
      layout.luks.push({ path, confirmed: container.fstype === 'crypto_LUKS' });
    }
    return;
  }
  const below = node.children ?? [];
  if ((STACKING_TYPES.has(node.type) || isRaid(node.type)) && below.length > 0) {
    for (const child of below) walk(child, layout);
    return;
  }
  // A partition, disk or loop device reached without passing a crypt mapping: stored in clear.
  const path = pathOf(node);
  if (!layout.unencrypted.includes(path)) layout.unencrypted.push(path);
}

/** Match on major:minor first (exact), then on the path, then on a mount point of `/`. */
function findRootNode(nodes: LsblkNode[], source: string, majMin: string | undefined): LsblkNode | undefined {
  const all = flatten(nodes);
  return (
    (majMin ? all.find((n) => n['maj:min'] === majMin) : undefined) ??
    all.find((n) => pathOf(n) === source) ??
    all.find((n) => mountpointsOf(n).includes('/'))
  );
}

function flatten(nodes: LsblkNode[]): LsblkNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children ?? [])]);
}

/** util-linux ≥ 2.37 prints `mountpoints` (a list); older versions a single `mountpoint`. */
function mountpointsOf(n: LsblkNode): string[] {
  const list = n.mountpoints ?? [n.mountpoint ?? null];
  return list.filter((m): m is string => m !== null);
}

/** lsblk before 2.33 has no PATH column: device-mapper nodes live in /dev/mapper, the rest in /dev. */
function pathOf(n: LsblkNode): string {
  if (n.path) return n.path;
  return STACKING_TYPES.has(n.type) ? `/dev/mapper/${n.name}` : `/dev/${n.name}`;
}

// ---- the thin runner ----

export type CommandResult = { code: number; stdout: string; stderr: string };
export type CommandRunner = (cmd: string, args: string[]) => Promise<CommandResult>;

/** Newest column set first; older util-linux refuses unknown columns, so fall back step by step. */
const LSBLK_COLUMN_SETS = [
  'NAME,PATH,TYPE,FSTYPE,PKNAME,MAJ:MIN,MOUNTPOINTS',
  'NAME,PATH,TYPE,FSTYPE,PKNAME,MAJ:MIN,MOUNTPOINT',
  'NAME,TYPE,FSTYPE,PKNAME,MAJ:MIN,MOUNTPOINT',
];

export type RootDeviceResult = RootLayout & {
  /** The LUKS2 device to escrow, or null (no encryption under `/`, or only LUKS1). */
  device: string | null;
};

/**
 * Run findmnt and lsblk, analyse, and confirm candidates lsblk could not type (fstype null) with
 * `isLuks2` (the LUKS header, read by Cryptsetup.identify).
 */
export async function findRootLuksDevice(
  isLuks2: (device: string) => Promise<boolean>,
  run: CommandRunner = runCommand,
): Promise<RootDeviceResult> {
  const fm = await run('findmnt', ['-J', '-o', 'SOURCE,TARGET,FSTYPE,MAJ:MIN', '/']);
  if (fm.code !== 0) throw new Error(`findmnt failed: ${fm.stderr.trim()}`);
  const findmnt = FindmntOutput.parse(JSON.parse(fm.stdout));
  let lsblk: LsblkOutput | undefined;
  let lastError = '';
  for (const columns of LSBLK_COLUMN_SETS) {
    const r = await run('lsblk', ['-J', '-s', '-o', columns]);
    if (r.code === 0) {
      lsblk = LsblkOutput.parse(JSON.parse(r.stdout));
      break;
    }
    lastError = r.stderr.trim();
  }
  if (!lsblk) throw new Error(`lsblk failed: ${lastError}`);
  const layout = analyzeRootLayout(findmnt, lsblk);
  for (const c of layout.luks) {
    if (await isLuks2(c.path)) return { ...layout, device: c.path };
  }
  return { ...layout, device: null };
}

/**
 * The LUKS2 device behind `/` (`device`, or null) and what lies under `/` (LUKS containers, unencrypted
 * members), from findmnt and lsblk; candidates lsblk could not type are confirmed by reading their header.
 */
export function detectRootLuksDevice(options: CryptsetupOptions = {}): Promise<RootDeviceResult> {
  const cs = new Cryptsetup(options);
  return findRootLuksDevice(async (device) => (await cs.identify(device).catch(() => null))?.version === 2);
}

function runCommand(cmd: string, args: string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { env: { PATH: `${process.env.PATH ?? ''}:/usr/bin:/bin`, LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
        resolve({ code, stdout, stderr: stderr || (err?.message ?? '') });
      },
    );
  });
}
