#!/usr/bin/env python3
"""vtps-firstboot on a temporary root: day-0 config from a cloud-config and from an OVF
environment is applied, and applying the same day-0 config again changes nothing at all (every
file's content, mode and owner compared). Needs root (useradd --prefix, chown), as CI has."""
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIRSTBOOT = os.path.join(ROOT, "appliance", "firstboot", "vtps-firstboot")
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx1Cw8dAFo1e0oZ9i2p4fBd9kD0b6y5hT3h9hK5pZ1x test@ci"

CLOUD_CONFIG = f"""#cloud-config
vtps:
  hostname: edge-1
  management:
    address: 10.20.0.5/24
    gateway: 10.20.0.1
    dns: [10.20.0.53]
  admin:
    password: correct-horse
    ssh-authorized-keys: ["{KEY}"]
  ssh: true
  ssl-inspection: false
"""

OVF_ENV = f"""<?xml version="1.0" encoding="UTF-8"?>
<Environment xmlns="http://schemas.dmtf.org/ovf/environment/1"
             xmlns:oe="http://schemas.dmtf.org/ovf/environment/1" oe:id="vtps">
  <PropertySection>
    <Property oe:key="vtps.hostname" oe:value="esx-vtps"/>
    <Property oe:key="vtps.mgmt.address" oe:value="192.0.2.10"/>
    <Property oe:key="vtps.mgmt.netmask" oe:value="255.255.255.128"/>
    <Property oe:key="vtps.mgmt.gateway" oe:value="192.0.2.1"/>
    <Property oe:key="vtps.mgmt.dns" oe:value="192.0.2.53, 192.0.2.54"/>
    <Property oe:key="vtps.admin.password" oe:value="from-vcenter-1"/>
    <Property oe:key="vtps.ssh.enabled" oe:value="False"/>
    <Property oe:key="vtps.ssh.key" oe:value=""/>
    <Property oe:key="vtps.ssl-inspection" oe:value="True"/>
  </PropertySection>
</Environment>
"""


def snapshot(root):
    """path -> (kind, mode, uid, gid, content or link target) for the whole tree."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                body = os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    body = f.read()
            else:
                body = None
            out[os.path.relpath(p, root)] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                                             st.st_uid, st.st_gid, body)
    return out


def make_root(base):
    """A minimal tree: account databases, default config, the ESP loader entry."""
    os.makedirs(f"{base}/etc/skel")
    os.makedirs(f"{base}/etc/vtps")
    os.makedirs(f"{base}/boot/efi/loader/entries")
    files = {
        "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
        "etc/shadow": "root:!*:19000:0:99999:7:::\n",
        "etc/group": "root:x:0:\nadm:x:4:\nsudo:x:27:\n",
        "etc/gshadow": "root:*::\nadm:*::\nsudo:*::\n",
        "etc/hosts": "127.0.0.1\tlocalhost\n127.0.1.1\tvtps\n",
        "etc/hostname": "vtps\n",
        "boot/efi/loader/entries/vtps.conf":
            "title vtps\nlinux /vmlinuz\ninitrd /initrd.img\noptions root=UUID=x ro net.ifnames=0\n",
    }
    for path, text in files.items():
        with open(f"{base}/{path}", "w") as f:
            f.write(text)
    for path in ("etc/shadow", "etc/gshadow"):
        os.chmod(f"{base}/{path}", 0o640)
    shutil.copy("/etc/login.defs", f"{base}/etc/login.defs")
    shutil.copy(os.path.join(ROOT, "appliance", "dist", "vtps.yaml"), f"{base}/etc/vtps/vtps.yaml")


class FirstbootTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vtps-firstboot-")
        self.root = os.path.join(self.tmp.name, "root")
        make_root(self.root)

    def tearDown(self):
        self.tmp.cleanup()

    def source(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def firstboot(self, source, *extra):
        return subprocess.run(["/usr/bin/python3", FIRSTBOOT, "--root", self.root, "--source",
                               source, *extra], capture_output=True, text=True)

    def read(self, path):
        with open(os.path.join(self.root, path)) as f:
            return f.read()

    def shadow_hash(self):
        line = next(l for l in self.read("etc/shadow").splitlines() if l.startswith("admin:"))
        return line.split(":")[1]

    def assert_password(self, password):
        h = self.shadow_hash()
        salt = re.fullmatch(r"\$6\$([^$]+)\$.*", h).group(1)
        again = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
                               input=password + "\n", capture_output=True, text=True).stdout
        self.assertEqual(again.strip(), h)

    def test_cloud_config_day0_is_applied(self):
        r = self.firstboot(self.source("user-data", CLOUD_CONFIG))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read("etc/hostname"), "edge-1\n")
        self.assertIn("127.0.1.1\tedge-1\n", self.read("etc/hosts"))
        net = self.read("etc/systemd/network/10-vtps-mgmt.network")
        self.assertIn("Name=eth0\n", net)
        self.assertIn("Address=10.20.0.5/24\nGateway=10.20.0.1\nDNS=10.20.0.53\n", net)
        self.assertNotIn("DHCP", net)
        self.assert_password("correct-horse")
        home = next(l for l in self.read("etc/passwd").splitlines()
                    if l.startswith("admin:")).split(":")[5]
        keys = os.path.join(self.root, home.lstrip("/"), ".ssh", "authorized_keys")
        with open(keys) as f:
            self.assertEqual(f.read(), KEY + "\n")
        self.assertEqual(stat.S_IMODE(os.stat(keys).st_mode), 0o600)
        self.assertIn("admin", [g.split(":")[3] for g in self.read("etc/group").splitlines()
                                if g.startswith("sudo:")][0])
        wants = os.path.join(self.root, "etc/systemd/system/multi-user.target.wants")
        self.assertEqual(os.readlink(f"{wants}/ssh.service"), "/lib/systemd/system/ssh.service")
        self.assertEqual(os.readlink(f"{wants}/vtpsd.service"), "/lib/systemd/system/vtpsd.service")
        self.assertTrue(os.path.exists(os.path.join(self.root, "etc/ssh/ssh_host_ed25519_key")))
        self.assertIn("server: false", self.read("etc/vtps/vtps.yaml"))
        self.assertIn("client: false", self.read("etc/vtps/vtps.yaml"))
        cert = os.path.join(self.root, "var/lib/vtps/management/cert.pem")
        san = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-ext", "subjectAltName"],
                             capture_output=True, text=True).stdout
        self.assertIn("DNS:edge-1, IP Address:10.20.0.5", san)
        key = os.path.join(self.root, "var/lib/vtps/management/key.pem")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        self.assertFalse(os.path.exists(os.path.join(self.root, "etc/sysctl.d")))

    def test_applying_the_same_day0_again_changes_nothing(self):
        src = self.source("user-data", CLOUD_CONFIG)
        first = self.firstboot(src)
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertNotIn("vtps-firstboot: 0 changes", first.stdout)
        before = snapshot(self.root)
        again = self.firstboot(src, "--force")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("vtps-firstboot: 0 changes\n", again.stdout)
        self.assertEqual(snapshot(self.root), before)
        # Without --force the recorded digest short-cuts the whole run.
        plain = self.firstboot(src)
        self.assertIn("this day-0 config is applied already", plain.stdout)
        self.assertEqual(snapshot(self.root), before)

    def test_a_changed_day0_changes_only_what_differs(self):
        self.firstboot(self.source("user-data", CLOUD_CONFIG))
        changed = CLOUD_CONFIG.replace("ssh: true", "ssh: false")
        r = self.firstboot(self.source("user-data2", changed))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [l for l in r.stdout.splitlines() if not l.startswith("vtps-firstboot: day-0")]
        self.assertEqual(lines, [
            "vtps-firstboot: removed /etc/systemd/system/multi-user.target.wants/ssh.service",
            "vtps-firstboot: wrote /var/lib/vtps/firstboot/applied",
            "vtps-firstboot: 2 changes"])

    def test_ovf_environment_day0_is_applied_and_idempotent(self):
        src = self.source("ovf-env.xml", OVF_ENV)
        r = self.firstboot(src)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read("etc/hostname"), "esx-vtps\n")
        net = self.read("etc/systemd/network/10-vtps-mgmt.network")
        self.assertIn("Address=192.0.2.10/25\nGateway=192.0.2.1\nDNS=192.0.2.53\nDNS=192.0.2.54\n",
                      net)
        self.assertEqual(self.read("etc/resolv.conf"),
                         "nameserver 192.0.2.53\nnameserver 192.0.2.54\n")
        self.assert_password("from-vcenter-1")
        wants = os.path.join(self.root, "etc/systemd/system/multi-user.target.wants")
        self.assertFalse(os.path.lexists(f"{wants}/ssh.service"))
        self.assertFalse(os.path.exists(os.path.join(self.root, "etc/ssh")))
        before = snapshot(self.root)
        again = self.firstboot(src, "--force")
        self.assertIn("vtps-firstboot: 0 changes\n", again.stdout)
        self.assertEqual(snapshot(self.root), before)

    def test_no_address_means_dhcp_and_no_password_keeps_the_account_locked(self):
        r = self.firstboot(self.source("user-data", "#cloud-config\nvtps: {}\n"))
        self.assertEqual(r.returncode, 0, r.stderr)
        net = self.read("etc/systemd/network/10-vtps-mgmt.network")
        self.assertIn("DHCP=ipv4\n", net)
        self.assertTrue(self.shadow_hash().startswith("!"), self.shadow_hash())
        self.assertEqual(self.read("etc/hostname"), "vtps\n")

    def test_performance_mode_sets_hugepages_and_isolates_the_pinned_cores(self):
        config = ("device:\n  dataplane: dpdk\n  mode: performance\n"
                  "  cores: {proxy: [1], dataplane: [2, 3]}\n")
        day0 = "#cloud-config\nvtps:\n  hugepages: 512\n  config: |\n" + "".join(
            "    " + l + "\n" for l in config.splitlines())
        src = self.source("user-data", day0)
        r = self.firstboot(src)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read("etc/vtps/vtps.yaml"), config)
        self.assertEqual(self.read("etc/sysctl.d/60-vtps-hugepages.conf"), "vm.nr_hugepages = 512\n")
        self.assertEqual(self.read("etc/systemd/system.conf.d/60-vtps-cpus.conf"),
                         "[Manager]\nCPUAffinity=0\n")
        self.assertIn("options root=UUID=x ro net.ifnames=0 isolcpus=managed_irq,domain,1,2,3 "
                      "nohz_full=1,2,3 rcu_nocbs=1,2,3\n",
                      self.read("boot/efi/loader/entries/vtps.conf"))
        before = snapshot(self.root)
        self.assertIn("vtps-firstboot: 0 changes\n", self.firstboot(src, "--force").stdout)
        self.assertEqual(snapshot(self.root), before)
        # Back to standard mode: the tuning is taken away again.
        std = self.source("user-data2", "#cloud-config\nvtps:\n  config: |\n    device: {mode: standard}\n")
        self.assertEqual(self.firstboot(std).returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(self.root, "etc/sysctl.d/60-vtps-hugepages.conf")))
        self.assertIn("options root=UUID=x ro net.ifnames=0\n",
                      self.read("boot/efi/loader/entries/vtps.conf"))

    def test_dpdk_segment_ports_are_given_to_vfio_pci_and_taken_back(self):
        config = ("device: {dataplane: dpdk}\nsegments:\n"
                  "  - {name: seg1, ports: [\"0000:00:04.0\", \"0000:00:05.0\"], profile: default}\n")
        day0 = "#cloud-config\nvtps:\n  config: |\n" + "".join(
            "    " + l + "\n" for l in config.splitlines())
        src = self.source("user-data", day0)
        r = self.firstboot(src)
        self.assertEqual(r.returncode, 0, r.stderr)
        for addr in ("0000:00:04.0", "0000:00:05.0"):
            self.assertEqual(self.read(f"etc/driverctl.d/pci-{addr}"), "vfio-pci\n")
        before = snapshot(self.root)
        self.assertIn("vtps-firstboot: 0 changes\n", self.firstboot(src, "--force").stdout)
        self.assertEqual(snapshot(self.root), before)
        kernel = self.source("user-data2", "#cloud-config\nvtps:\n  config: |\n    device: {}\n")
        self.assertEqual(self.firstboot(kernel).returncode, 0)
        self.assertEqual(os.listdir(os.path.join(self.root, "etc/driverctl.d")), [])

    def test_invalid_day0_is_refused_and_nothing_is_written(self):
        before = snapshot(self.root)
        cases = {
            "vtps:\n  admin: {password: short}\n": "vtps.admin.password: at least 8 characters",
            "vtps:\n  management: {address: 10.0.0.1}\n":
                "vtps.management.address: '10.0.0.1' is not ADDRESS/PREFIX",
            "vtps:\n  ssh: true\n":
                "vtps.ssh: SSH takes keys only; give vtps.admin.ssh-authorized-keys",
            "vtps:\n  hostname: under_score\n": "vtps.hostname: 'under_score' is not a host name",
            "vtps:\n  colour: blue\n": "vtps.colour: unknown key (known: admin, config, hostname, "
                                        "hugepages, management, ssh, ssl-inspection)",
            "vtps: [1, 2]\n": "user-data: vtps: expected a mapping",
        }
        for text, message in cases.items():
            with self.subTest(message=message):
                r = self.firstboot(self.source("user-data", text))
                self.assertEqual(r.returncode, 1)
                self.assertEqual(r.stderr.replace(self.tmp.name + "/", ""),
                                 f"vtps-firstboot: day-0 config refused: {message}\n")
        bad_mask = OVF_ENV.replace("255.255.255.128", "255.0.255.0")
        r = self.firstboot(self.source("ovf-env.xml", bad_mask))
        self.assertEqual(r.stderr, "vtps-firstboot: day-0 config refused: OVF vtps.mgmt.netmask: "
                                   "'255.0.255.0' is not a netmask\n")
        self.assertEqual(snapshot(self.root), before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
