import { readFileSync } from 'node:fs';
import { type PlistValue, parse } from 'plist';
import { describe, expect, it } from 'vitest';

type Dict = { [key: string]: PlistValue };
const load = (name: string) =>
  parse(readFileSync(new URL(`../../assets/macos/${name}`, import.meta.url), 'utf8')) as Dict;

describe('launchd plists', () => {
  it('agent LaunchDaemon: root, started at boot, kept alive, absolute program path', () => {
    const p = load('com.escrowdesktop.agent.plist');
    expect(p.Label).toBe('com.escrowdesktop.agent');
    expect(p.UserName).toBe('root');
    expect(p.RunAtLoad).toBe(true);
    expect(p.KeepAlive).toBe(true);
    const args = p.ProgramArguments as string[];
    expect(args[0]).toBe('/Library/Application Support/EscrowDesktop/escrow-agent');
    expect(args.every((a) => typeof a === 'string')).toBe(true);
    expect(p.Program).toBeUndefined(); // ProgramArguments[0] is the program; both would be ambiguous
    expect(p.LimitLoadToSessionType).toBeUndefined(); // a daemon must load in the system domain
    expect(p.Umask).toBe(0o077);
  });

  it('desktop LaunchAgent: GUI sessions only, at login, restarted after a crash but not after Quit', () => {
    const p = load('com.escrowdesktop.desktop.plist');
    expect(p.Label).toBe('com.escrowdesktop.desktop');
    expect(p.LimitLoadToSessionType).toBe('Aqua');
    expect(p.RunAtLoad).toBe(true);
    expect(p.KeepAlive).toEqual({ SuccessfulExit: false });
    expect((p.ProgramArguments as string[])[0]).toMatch(
      /^\/Applications\/Escrow Desktop\.app\/Contents\/MacOS\//,
    );
    expect(p.UserName).toBeUndefined(); // runs as the logged-in user
  });
});
