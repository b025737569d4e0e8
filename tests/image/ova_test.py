#!/usr/bin/env python3
"""OVA structure: ova/make-ova run on a small qcow2, then the archive checked the way an importer
reads it: tar order (OVF first), the OVF 1.0 descriptor (hardware version, VMXNET3 NICs, disk,
ProductSection day-0 properties with ovf:password, both transports), the SHA-256 manifest, and the
streamOptimized VMDK header. Each check is also shown to fail on a broken archive."""
import hashlib
import io
import os
import re
import struct
import subprocess
import tarfile
import tempfile
import unittest
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAKE_OVA = os.path.join(ROOT, "ova", "make-ova")
NS = {
    "ovf": "http://schemas.dmtf.org/ovf/envelope/1",
    "rasd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData",
    "vssd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData",
    "vmw": "http://www.vmware.com/schema/ovf",
}
OVF = "{%s}" % NS["ovf"]
DAY0_KEYS = {"vtps.hostname", "vtps.mgmt.address", "vtps.mgmt.netmask", "vtps.mgmt.gateway",
             "vtps.mgmt.dns", "vtps.admin.password", "vtps.ssh.enabled", "vtps.ssh.key",
             "vtps.ssl-inspection"}


class OvaError(Exception):
    pass


def check_manifest(members):
    """The manifest names every other file once, as 'SHA256(FILE)= HEX', with the right hash."""
    names = [m for m in members if not m.endswith(".mf")]
    mf = next(m for m in members if m.endswith(".mf"))
    seen = set()
    for line in members[mf].decode().splitlines():
        m = re.fullmatch(r"SHA256\(([^)]+)\)= ([0-9a-f]{64})", line)
        if not m:
            raise OvaError(f"manifest line not in SHA256(FILE)= HEX form: {line!r}")
        name, digest = m.groups()
        if name not in members:
            raise OvaError(f"manifest names {name}, which the OVA lacks")
        if hashlib.sha256(members[name]).hexdigest() != digest:
            raise OvaError(f"manifest hash of {name} does not match")
        seen.add(name)
    if seen != set(names):
        raise OvaError(f"manifest covers {sorted(seen)}, OVA holds {sorted(names)}")


def check_vmdk(data):
    """Sparse extent header: magic KDMV, version 3, compressed grains; embedded descriptor."""
    magic, version, flags = struct.unpack_from("<4sII", data, 0)
    if magic != b"KDMV":
        raise OvaError(f"VMDK magic is {magic!r}, not KDMV")
    if version != 3:
        raise OvaError(f"VMDK version {version}, streamOptimized needs 3")
    if not flags & (1 << 16):
        raise OvaError("VMDK grains are not compressed")
    desc_offset, desc_size = struct.unpack_from("<QQ", data, 28)
    desc = data[desc_offset * 512:(desc_offset + desc_size) * 512].split(b"\0")[0].decode()
    if 'createType="streamOptimized"' not in desc:
        raise OvaError("VMDK descriptor: createType is not streamOptimized")
    return desc


def check_ovf(text, members, min_hw=13):
    root = ET.fromstring(text)
    refs = {f.get(OVF + "id"): f for f in root.findall("ovf:References/ovf:File", NS)}
    for f in refs.values():
        href = f.get(OVF + "href")
        if href not in members or int(f.get(OVF + "size")) != len(members[href]):
            raise OvaError(f"References: {href} missing or of the wrong size")
    disk = root.find("ovf:DiskSection/ovf:Disk", NS)
    if disk is None or disk.get(OVF + "fileRef") not in refs:
        raise OvaError("DiskSection: no disk backed by a referenced file")
    if not disk.get(OVF + "format").endswith("#streamOptimized"):
        raise OvaError("DiskSection: disk format is not streamOptimized")
    vs = root.find("ovf:VirtualSystem", NS)
    hw = vs.find("ovf:VirtualHardwareSection", NS)
    vtype = hw.find("ovf:System/vssd:VirtualSystemType", NS).text
    m = re.fullmatch(r"vmx-(\d+)", vtype)
    if not m or int(m.group(1)) < min_hw:
        raise OvaError(f"VirtualSystemType {vtype}: vmx-{min_hw} or newer required")
    transports = set(hw.get(OVF + "transport", "").split())
    if not {"com.vmware.guestInfo", "iso"} <= transports:
        raise OvaError(f"transports {sorted(transports)}: need com.vmware.guestInfo and iso")
    items = hw.findall("ovf:Item", NS)
    nics = [i for i in items if i.findtext("rasd:ResourceType", namespaces=NS) == "10"]
    if not nics or any(n.findtext("rasd:ResourceSubType", namespaces=NS) != "VMXNET3"
                       for n in nics):
        raise OvaError("NICs: every network adapter must be VMXNET3")
    networks = {n.get(OVF + "name") for n in root.findall("ovf:NetworkSection/ovf:Network", NS)}
    if nics[0].findtext("rasd:Connection", namespaces=NS) != "Management":
        raise OvaError("NICs: the first adapter must be on the Management network")
    for n in nics:
        if n.findtext("rasd:Connection", namespaces=NS) not in networks:
            raise OvaError("NICs: adapter on a network the NetworkSection does not declare")
    disks = [i for i in items if i.findtext("rasd:ResourceType", namespaces=NS) == "17"]
    if [d.findtext("rasd:HostResource", namespaces=NS) for d in disks] != ["ovf:/disk/vmdisk1"]:
        raise OvaError("hardware: exactly one disk, ovf:/disk/vmdisk1")
    firmware = [c.get("{%s}value" % NS["vmw"]) for c in hw.findall("vmw:Config", NS)
                if c.get("{%s}key" % NS["vmw"]) == "firmware"]
    if firmware != ["efi"]:
        raise OvaError("hardware: the image boots with UEFI; firmware=efi is required")
    props = {p.get(OVF + "key"): p for p in vs.findall("ovf:ProductSection/ovf:Property", NS)}
    if set(props) != DAY0_KEYS:
        raise OvaError(f"ProductSection keys {sorted(props)} != {sorted(DAY0_KEYS)}")
    if props["vtps.admin.password"].get(OVF + "password") != "true":
        raise OvaError("ProductSection: vtps.admin.password must be ovf:password=\"true\"")
    if props["vtps.ssh.enabled"].get(OVF + "value") != "false":
        raise OvaError("ProductSection: SSH must default to off")
    return {"nics": len(nics), "hw": vtype, "cpus":
            next(i for i in items if i.findtext("rasd:ResourceType", namespaces=NS) == "3")
            .findtext("rasd:VirtualQuantity", namespaces=NS)}


def read_ova(path):
    with tarfile.open(path) as tar:
        names = tar.getnames()
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    return names, members


def check_ova(path):
    names, members = read_ova(path)
    if not names[0].endswith(".ovf"):
        raise OvaError(f"the OVF must be the first file, found {names[0]}")
    check_manifest(members)
    vmdks = [n for n in names if n.endswith(".vmdk")]
    if len(vmdks) != 1:
        raise OvaError(f"expected one VMDK, found {vmdks}")
    desc = check_vmdk(members[vmdks[0]])
    info = check_ovf(members[names[0]].decode(), members)
    info["descriptor"] = desc
    return info


def rewrite_ova(src, dst, change):
    """Copies an OVA, letting `change(name, bytes) -> bytes|None` edit or drop members."""
    with tarfile.open(src) as tin, tarfile.open(dst, "w", format=tarfile.USTAR_FORMAT) as tout:
        for m in tin.getmembers():
            data = change(m.name, tin.extractfile(m).read())
            if data is None:
                continue
            m.size = len(data)
            tout.addfile(m, io.BytesIO(data))


class OvaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="vtps-ova-")
        cls.qcow2 = os.path.join(cls.tmp.name, "disk.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", cls.qcow2, "64M"], check=True)
        # Some content, so the stream holds real grains and not only zero markers.
        subprocess.run(["qemu-io", "-c", "write -P 0x5a 1M 2M", cls.qcow2], check=True,
                       stdout=subprocess.DEVNULL)
        cls.out = os.path.join(cls.tmp.name, "out")
        subprocess.run([MAKE_OVA, "--qcow2", cls.qcow2, "--out", cls.out, "--version", "1.2.3",
                        "--cpus", "6", "--data-nics", "2"], check=True, stdout=subprocess.DEVNULL)
        cls.ova = os.path.join(cls.out, "vtps.ova")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_ova_has_ovf_first_then_manifest_and_disk(self):
        names, _ = read_ova(self.ova)
        self.assertEqual(names, ["vtps.ovf", "vtps.mf", "vtps-disk1.vmdk"])

    def test_descriptor_manifest_and_vmdk_pass_every_check(self):
        info = check_ova(self.ova)
        self.assertEqual(info["nics"], 3)  # management + 2 data ports
        self.assertEqual(info["hw"], "vmx-13")
        self.assertEqual(info["cpus"], "6")
        self.assertIn('ddb.adapterType = "lsilogic"', info["descriptor"])
        self.assertIn('ddb.virtualHWVersion = "13"', info["descriptor"])

    def test_vmdk_holds_the_disk_contents(self):
        back = os.path.join(self.tmp.name, "back.qcow2")
        vmdk = os.path.join(self.tmp.name, "d.vmdk")
        _, members = read_ova(self.ova)
        with open(vmdk, "wb") as f:
            f.write(members["vtps-disk1.vmdk"])
        subprocess.run(["qemu-img", "convert", "-O", "qcow2", vmdk, back], check=True)
        r = subprocess.run(["qemu-img", "compare", self.qcow2, back], capture_output=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_broken_archives_are_caught(self):
        broken = os.path.join(self.tmp.name, "broken.ova")
        cases = {
            "manifest hash of vtps-disk1.vmdk does not match":
                lambda n, d: d[:-1] + b"\x01" if n.endswith(".vmdk") else d,
            "manifest line not in SHA256(FILE)= HEX form":
                lambda n, d: d.replace(b"SHA256(", b"SHA1(") if n.endswith(".mf") else d,
            "VirtualSystemType vmx-11: vmx-13 or newer required":
                lambda n, d: d.replace(b"vmx-13", b"vmx-11") if n.endswith(".ovf") else d,
            "NICs: every network adapter must be VMXNET3":
                lambda n, d: d.replace(b">VMXNET3<", b">E1000<", 1) if n.endswith(".ovf") else d,
            "ProductSection: vtps.admin.password must be ovf:password=\"true\"":
                lambda n, d: d.replace(b'ovf:password="true" ', b"") if n.endswith(".ovf") else d,
            "transports ['iso']: need com.vmware.guestInfo and iso":
                lambda n, d: d.replace(b"com.vmware.guestInfo ", b"") if n.endswith(".ovf") else d,
            "VMDK magic is b'XDMV', not KDMV":
                lambda n, d: b"X" + d[1:] if n.endswith(".vmdk") else d,
        }
        for message, change in cases.items():
            with self.subTest(message=message):
                rewrite_ova(self.ova, broken, change)
                if "manifest" not in message:
                    self._refresh_manifest(broken)
                with self.assertRaises(OvaError) as ctx:
                    check_ova(broken)
                self.assertIn(message, str(ctx.exception))

    def _refresh_manifest(self, path):
        _, members = read_ova(path)
        lines = "".join(f"SHA256({n})= {hashlib.sha256(d).hexdigest()}\n"
                        for n, d in members.items() if not n.endswith(".mf"))
        tmp = path + ".tmp"
        rewrite_ova(path, tmp, lambda n, d: lines.encode() if n.endswith(".mf") else d)
        os.replace(tmp, path)

    def test_make_ova_refuses_old_hardware_versions_and_bad_names(self):
        for args, message in [
            (["--hw-version", "11"], "make-ova: --hw-version 11: 13 or newer (ESXi 6.5+)"),
            (["--name", "a b"], "make-ova: --name a b: letters, digits, . _ - only"),
            (["--cpus", "0"], "make-ova: --cpus 0: a positive number"),
        ]:
            with self.subTest(args=args):
                r = subprocess.run([MAKE_OVA, "--qcow2", self.qcow2, "--out", self.out] + args,
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 1)
                self.assertEqual(r.stderr.strip(), message)


if __name__ == "__main__":
    unittest.main(verbosity=2)
