#!/bin/sh
# escrow-agent package, before its files go: deb prerm (remove, upgrade NEW-VERSION, deconfigure,
# failed-upgrade) and rpm %preun ($1 = 0 erase, 1 upgrade). Only a removal stops and disables the agent; an
# upgrade leaves it running, and the new package's postinst restarts it on the new executable.
set -e
case "${1:-}" in
  remove | 0) ;;
  *) exit 0 ;;
esac
if [ -d "${DPKG_ROOT:-}/run/systemd/system" ]; then
  systemctl disable --now escrow-agent.service || true
fi
