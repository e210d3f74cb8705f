#!/bin/sh
# Removes Escrow Desktop from this Mac (what the pkg installed; macOS has no package manager to do it):
#   sudo sh "/Applications/Escrow Desktop.app/Contents/Resources/macos/uninstall.sh"
# Kept, so a reinstall does not lose a key still waiting to be escrowed nor need IT to redeploy: the
# configuration (agent.conf, enroll-secret), the agent's state in /var/db/escrow-agent and its logs.
# The optional argument is the volume to remove it from, "/" by default (test/packaging passes a temp dir).
set -eu
root="${1:-/}"
root="${root%/}"
support="$root/Library/Application Support/EscrowDesktop"

launchctl bootout system/com.escrowdesktop.agent 2>/dev/null || true
# The tray app of whoever is logged in at the screen (stat -f %u is macOS's owner-uid format).
console_uid="$(stat -f %u /dev/console 2>/dev/null || true)"
case "$console_uid" in
  '' | 0 | *[!0-9]*) ;;
  *) launchctl bootout "gui/$console_uid/com.escrowdesktop.desktop" 2>/dev/null || true ;;
esac

rm -f "$root/Library/LaunchDaemons/com.escrowdesktop.agent.plist" \
  "$root/Library/LaunchAgents/com.escrowdesktop.desktop.plist" \
  "$support/escrow-agent" "$support/escrowctl"
rm -rf "$support/bin"
# Only our own link: never a file of the same name that something else put there.
if [ "$(readlink "$root/usr/local/bin/escrowctl" 2>/dev/null || true)" = \
  "/Library/Application Support/EscrowDesktop/escrowctl" ]; then
  rm -f "$root/usr/local/bin/escrowctl"
fi
rm -rf "$root/Applications/Escrow Desktop.app"
pkgutil --volume "$root/" --forget org.escrowdesktop.app >/dev/null 2>&1 || true

echo "Escrow Desktop removed. Kept: $support/agent.conf, $support/enroll-secret," \
  "$root/var/db/escrow-agent and $root/Library/Logs/EscrowDesktop (delete them to remove everything)."
