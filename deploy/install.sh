#!/usr/bin/env bash
# Install the kiosk on a Debian-like box: user, groups, directories, packages, udev rule, PAM,
# config, card-lookup key, lockdown (deploy/lockdown.sh), units. Run as root from a checkout:
#   sudo deploy/install.sh [SCANNER_VID:PID [CARD_VID:PID [PRINTER_VID:PID]]]
# Re-running is safe: existing config, token and card-lookup key are kept.
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX=/opt/kiosk
SCANNER_ID="${1:-0000:0000}"
CARD_ID="${2:-$SCANNER_ID}"
PRINTER_ID="${3:-0000:0000}"

[[ $EUID -eq 0 ]] || { echo "install.sh: run as root" >&2; exit 1; }
[[ $SCANNER_ID =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$ ]] || { echo "install.sh: scanner id must be VID:PID (see lsusb)" >&2; exit 1; }

# The patron screen needs a terminal with touch input: foot 1.16 or newer (Debian 13 has 1.21;
# Debian 12's foot 1.13 ignores the touchscreen). Say so before anything is changed.
apt-get update
FOOT_VERSION="$(apt-cache policy foot | sed -n 's/^ *Candidate: *//p')"
if [[ -z $FOOT_VERSION || $FOOT_VERSION == "(none)" ]] || dpkg --compare-versions "$FOOT_VERSION" lt 1.16; then
    . /etc/os-release
    echo "install.sh: ${PRETTY_NAME:-this system} offers foot ${FOOT_VERSION:-(none)}; the kiosk's" \
         "touchscreen needs foot 1.16 or newer. Install Debian 13 (trixie) on the kiosk." >&2
    exit 1
fi
mapfile -t PACKAGES < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$SRC/deploy/packages.txt")
apt-get install -y --no-install-recommends "${PACKAGES[@]}"
# Where systemd is not running (an image being built, a chroot) nothing runs yet: udev, sysctl
# and systemd's reload are left to the first boot.
IN_CHROOT=1
[[ -d /run/systemd/system ]] && IN_CHROOT=0

id kiosk >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/kiosk --no-create-home \
    --shell /usr/sbin/nologin --comment "library self-service kiosk" kiosk
# The device groups udev hands the serial ports, display and input devices to (made by systemd on a
# booted system; made here where the image is still being built).
for group in dialout video input render; do
    getent group "$group" >/dev/null || groupadd --system "$group"
done
usermod -a -G dialout,video,input,render kiosk

install -d -o root -g kiosk -m 0750 /etc/kiosk
install -d -o kiosk -g kiosk -m 0750 /var/lib/kiosk
install -d -m 0755 "$PREFIX"
rm -rf "$PREFIX/src" && cp -a "$SRC" "$PREFIX/src" && rm -rf "$PREFIX/src/.venv" "$PREFIX/src/.git"
python3 -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/pip" install --quiet --upgrade pip
"$PREFIX/venv/bin/pip" install --quiet "$PREFIX/src"

[[ -e /etc/kiosk/kiosk.toml ]] || install -o root -g kiosk -m 0640 "$SRC/deploy/kiosk.toml.example" /etc/kiosk/kiosk.toml
[[ -e /etc/kiosk/api-token ]] || install -o root -g root -m 0600 /dev/null /etc/kiosk/api-token
# The per-kiosk key of the card lookups (docs/privacy.md): root-only, outside /var/lib/kiosk, handed
# to kiosk.service with LoadCredential=.
[[ -e /etc/kiosk/card-key ]] || (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' > /etc/kiosk/card-key)
install -o root -g kiosk -m 0644 "$SRC/deploy/foot.ini" /etc/kiosk/foot.ini
install -o root -g root -m 0644 "$SRC/deploy/pam.d-kiosk" /etc/pam.d/kiosk

sed -e "s/@SCANNER_VENDOR@/${SCANNER_ID%%:*}/" -e "s/@SCANNER_PRODUCT@/${SCANNER_ID##*:}/" \
    -e "s/@CARD_VENDOR@/${CARD_ID%%:*}/" -e "s/@CARD_PRODUCT@/${CARD_ID##*:}/" \
    "$SRC/deploy/99-kiosk-scanner.rules" > /etc/udev/rules.d/99-kiosk-scanner.rules
sed -e "s/@PRINTER_VENDOR@/${PRINTER_ID%%:*}/" -e "s/@PRINTER_PRODUCT@/${PRINTER_ID##*:}/" \
    "$SRC/deploy/99-kiosk-printer.rules" > /etc/udev/rules.d/99-kiosk-printer.rules
((IN_CHROOT)) || { udevadm control --reload && udevadm trigger --subsystem-match=tty --subsystem-match=usbmisc; }

"$SRC/deploy/lockdown.sh" /

install -m 0644 "$SRC/kiosk.service" "$SRC/kiosk-sync.service" /etc/systemd/system/
((IN_CHROOT)) || systemctl daemon-reload
systemctl set-default graphical.target
systemctl enable kiosk-sync.service kiosk.service

echo "Installed. Next: put the API token in /etc/kiosk/api-token, edit /etc/kiosk/kiosk.toml,"
echo "check it with: sudo -u kiosk $PREFIX/venv/bin/kiosk --config /etc/kiosk/kiosk.toml config check"
echo "then: systemctl start kiosk-sync.service kiosk.service (the logind lockdown applies from the next boot)"
