#!/bin/sh
# escrow-agent package, after its files went: deb postrm (remove, purge, upgrade, failed-upgrade, abort-*,
# disappear) and rpm %postun ($1 = 0 erase, 1 upgrade). The package manager removed its own files; systemd
# forgets the unit. Kept even on purge: /var/lib/escrow-agent (the node key and the journal of a key that
# may still be waiting to reach the server: deleting it could lose an escrowed-nowhere key) and
# /etc/escrow-agent (IT's configuration and enroll secret, deployed outside the package).
set -e
case "${1:-}" in
  remove | purge | 0) ;;
  *) exit 0 ;;
esac
if [ -d "${DPKG_ROOT:-}/run/systemd/system" ]; then systemctl daemon-reload || true; fi
