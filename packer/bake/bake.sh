#!/bin/sh
# Runs inside the base image during `packer build` (from the NoCloud seed CD at $seed): installs
# vtps, enables its units and removes everything instance-specific, so the image's first boot
# is every instance's first boot. Needs no network: the base image carries vtps's Depends.
set -eu
seed=$(dirname "$0")
echo "vtps-bake: installing $(ls "$seed"/*.deb)"
dpkg -i "$seed"/*.deb

# vtpsd and vtps-firstboot are shipped by the .deb; the image enables them.
systemctl enable vtpsd.service vtps-firstboot.service

# Instance state: cloud-init runs again on the first boot of every instance; logs, host keys,
# machine-id and apt lists go.
cloud-init clean --logs --seed
rm -f /etc/ssh/ssh_host_*
: >/etc/machine-id
rm -f /var/lib/dbus/machine-id
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /tmp/* /var/tmp/*
find /var/log -type f -exec truncate -s 0 {} +
fstrim -av || true
sync
echo "vtps-bake: done"
