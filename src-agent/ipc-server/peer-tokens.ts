import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, chown, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Per-user peer tokens: Node cannot read a Unix socket peer's credentials (no SO_PEERCRED), so the agent
 * writes a random token for each allowed uid into `<tokens dir>/<uid>`, a file only that user (and root)
 * can read. A client proves it runs as that uid by sending the token in its hello. The directory is 0711 so
 * nobody can list it; each file is 0400 and owned by its uid. See SECURITY.md, "Who may talk to the agent".
 */
export interface TokenHolder {
  uid: number;
  name: string;
}

export class PeerTokens {
  private readonly tokens = new Map<number, { name: string; token: Buffer }>();

  /**
   * `ownUid`: the uid the agent runs as. A root agent serves every allowed user; an agent running as a
   * normal user (the demo, a developer's checkout) cannot give files to others, so it serves only itself.
   */
  constructor(
    private readonly dir: string,
    private readonly ownUid: number = process.getuid?.() ?? 0,
  ) {}

  /** Removes every token of a previous run, then writes fresh ones: tokens never outlive the agent. */
  async reset(holders: TokenHolder[]): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true, mode: 0o711 });
    await chmod(this.dir, 0o711); // mkdir's mode is filtered by the umask
    this.tokens.clear();
    await this.sync(holders);
  }

  /** Writes tokens for new holders and deletes those of users who are no longer allowed. */
  async sync(holders: TokenHolder[]): Promise<void> {
    const servable = this.ownUid === 0 ? holders : holders.filter((h) => h.uid === this.ownUid);
    const wanted = new Map(servable.map((h) => [h.uid, h.name]));
    for (const uid of [...this.tokens.keys()]) {
      if (wanted.has(uid)) continue;
      this.tokens.get(uid)?.token.fill(0);
      this.tokens.delete(uid);
      await rm(path.join(this.dir, String(uid)), { force: true });
    }
    for (const [uid, name] of wanted) {
      const current = this.tokens.get(uid);
      if (current) {
        current.name = name;
        continue;
      }
      const token = randomBytes(32);
      await this.writeTokenFile(uid, token.toString('hex'));
      this.tokens.set(uid, { name, token });
    }
  }

  /**
   * The holder whose token this is, or null. Compares against every token with timingSafeEqual and no early
   * exit, so the time taken says nothing about how much of a guess was right or whose token it was.
   */
  identify(tokenHex: string | undefined): TokenHolder | null {
    if (!tokenHex || !/^[0-9a-f]{64}$/.test(tokenHex)) return null;
    const presented = Buffer.from(tokenHex, 'hex');
    let found: TokenHolder | null = null;
    for (const [uid, { name, token }] of this.tokens) {
      if (timingSafeEqual(presented, token) && found === null) found = { uid, name };
    }
    presented.fill(0);
    return found;
  }

  holders(): TokenHolder[] {
    return [...this.tokens].map(([uid, { name }]) => ({ uid, name }));
  }

  /** Written under a temporary name (0400, root) and renamed into place: a reader sees all or nothing. */
  private async writeTokenFile(uid: number, tokenHex: string): Promise<void> {
    const final = path.join(this.dir, String(uid));
    const temp = path.join(this.dir, `.${uid}.${randomBytes(6).toString('hex')}.tmp`);
    const fh = await open(temp, 'wx', 0o400);
    try {
      await fh.writeFile(`${tokenHex}\n`);
      await fh.chmod(0o400);
    } finally {
      await fh.close();
    }
    if (this.ownUid === 0) await chown(temp, uid, 0);
    await rename(temp, final);
  }

  dispose(): void {
    for (const { token } of this.tokens.values()) token.fill(0);
    this.tokens.clear();
  }
}
