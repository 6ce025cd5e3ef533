#!/usr/bin/env bash
# Lock the kiosk's hardware paths out of the operating system: no Magic SysRq (Alt+SysRq+B would
# reboot), no Ctrl+Alt+Del, no login prompt on another VT. cage itself refuses VT switching (it
# runs without -s, see kiosk.service); these close what the kernel and systemd offer beside it.
#
#   deploy/lockdown.sh [ROOT]     ROOT defaults to /; install.sh runs it with /. A technician who
#                                 needs a console back: docs/operations.md, "Lockdown".
set -euo pipefail

ROOT="${1:-/}"
NAME=90-kiosk-lockdown.conf

install -d -m 0755 "$ROOT/etc/sysctl.d" "$ROOT/etc/systemd/logind.conf.d"

cat > "$ROOT/etc/sysctl.d/$NAME" <<'CONF'
# Library kiosk: the Magic SysRq key does nothing (installed by deploy/lockdown.sh).
kernel.sysrq = 0
CONF

cat > "$ROOT/etc/systemd/logind.conf.d/$NAME" <<'CONF'
# Library kiosk: no getty is started on other VTs on demand, none is kept in reserve
# (installed by deploy/lockdown.sh).
[Login]
NAutoVTs=0
ReserveVT=0
CONF

# Masked: Ctrl+Alt+Del starts nothing; no getty instance on any VT (autovt@ is an alias of getty@).
systemctl --root="$ROOT" --quiet mask ctrl-alt-del.target getty@.service

if [[ $ROOT == / && -d /run/systemd/system ]]; then
    sysctl --quiet --load "/etc/sysctl.d/$NAME"
fi
