#!/bin/sh
# deb/rpm post-remove: undo after-install.sh. The agent's state (/var/lib/escrow-agent: node key, journal)
# and /etc/escrow-agent are kept, so a reinstall does not lose a key that is still waiting to be escrowed.
set -e
if [ -d /run/systemd/system ]; then
  systemctl disable --now escrow-agent.service 2>/dev/null || true
fi
rm -f /etc/systemd/system/escrow-agent.service /etc/xdg/autostart/escrow-desktop.desktop
rm -f /usr/bin/escrowctl '/usr/bin/${executable}'
rm -rf /usr/lib/escrow-desktop
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
