#!/bin/sh
# deb/rpm post-remove: undo after-install.sh. The agent's state (/var/lib/escrow-agent: node key, journal)
# and /etc/escrow-agent are kept, so a reinstall does not lose a key that is still waiting to be escrowed.
set -e
# Also run on upgrade, after the new version's files are in place (rpm: after the new post-install too):
# only an erase removes anything. deb passes remove/purge, rpm the number of versions left (0).
case "${1:-}" in
  remove | purge | 0) ;;
  *) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
  systemctl disable --now escrow-agent.service 2>/dev/null || true
fi
rm -f /etc/systemd/system/escrow-agent.service /etc/xdg/autostart/escrow-desktop.desktop
rm -f /usr/sbin/escrow-agent /usr/bin/escrowctl '/usr/bin/${executable}' /usr/lib/escrow-agent/escrowctl
# The package manager removed the executable; the directory goes once it is empty.
rmdir /usr/lib/escrow-agent 2>/dev/null || true
rm -rf /usr/lib/escrow-desktop
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
