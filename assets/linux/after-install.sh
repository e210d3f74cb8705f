#!/bin/sh
# deb/rpm post-install. Replaces electron-builder's default script, so it also does what that one does: the
# command on PATH and the Chromium sandbox helper's mode. The rpm runs it once more as %posttrans (after an
# upgraded-from package's after-remove, which before docs/decisions/0005 removed the unit and launchers
# even on upgrade), so it must be safe to run twice, and it names the app's directory and executable
# itself (electron-builder.yml's productName and linux.executableName; nothing fills in %posttrans).
set -e
app_dir='/opt/Escrow Desktop'
res="$app_dir/resources/linux"

ln -sf "$app_dir/escrow-desktop" /usr/bin/escrow-desktop
# The setuid sandbox helper is only needed where unprivileged user namespaces are unavailable.
if unshare --user true 2>/dev/null; then
  chmod 0755 "$app_dir/chrome-sandbox" || true
else
  chmod 4755 "$app_dir/chrome-sandbox" || true
fi

# The agent executable is the package's own file /usr/lib/escrow-agent/escrow-agent (electron-builder.yml,
# deb/rpm fpm), outside the app; root:root 0755 like its directory, which the launchers insist on.
# escrowctl is the same executable under its own name. See docs/decisions/0005-agent-executable.md.
chown root:root /usr/lib/escrow-agent /usr/lib/escrow-agent/escrow-agent
chmod 0755 /usr/lib/escrow-agent /usr/lib/escrow-agent/escrow-agent
ln -sfn escrow-agent /usr/lib/escrow-agent/escrowctl
# Drop the just-written 120 MB file from the page cache, so the agent maps only what it reads, as after a
# reboot: a file written in large pieces sits in the cache in pieces the kernel maps whole (measured with
# the file as the build writes it: ~17 MB more resident memory; bench/agent/idle.mjs).
dd if=/usr/lib/escrow-agent/escrow-agent iflag=nocache count=0 2>/dev/null || true
install -m 0755 "$res/escrow-agent-launcher.sh" /usr/sbin/escrow-agent
install -m 0755 "$res/escrow-agent-launcher.sh" /usr/bin/escrowctl
# Before 0005 the launcher lived here and ran the agent on the app's Electron binary.
rm -rf /usr/lib/escrow-desktop
install -m 0644 "$res/escrow-agent.service" /etc/systemd/system/escrow-agent.service
install -d -m 0755 /etc/xdg/autostart
install -m 0644 "$res/escrow-desktop-autostart.desktop" /etc/xdg/autostart/escrow-desktop.desktop
install -d -m 0700 /etc/escrow-agent

# The agent needs the organization's server address and enroll secret (deployed by IT, e.g. with the
# fleet's configuration management); it starts once both files exist. Restarted when it runs already: an
# upgrade's after-remove leaves it running, on the executable the upgrade has just replaced.
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
  if [ -f /etc/escrow-agent/agent.conf ] && [ -f /etc/escrow-agent/enroll-secret ]; then
    systemctl enable escrow-agent.service || true
    systemctl restart escrow-agent.service || true
  fi
fi
