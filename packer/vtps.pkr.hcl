# Bakes the vtps appliance (qcow2) from the base image that packer/base-image builds with
# mmdebstrap. Packer 1.6.6 (Debian's), HCL2, qemu builder.
#
# How the bake works without a communicator: the base image runs cloud-init, and the CD that
# Packer builds from cd_files is a NoCloud seed (label "cidata") carrying the vtps .deb, the
# bake script and a user-data that runs it. The script installs and enables vtps, cleans the
# instance state and powers the VM off; `communicator = "none"` makes Packer wait for exactly
# that power-off, then it compresses the disk. ci/image-build passes the variables.
#
#   packer build -var base_image=out/base/vtps-base.qcow2 \
#     -var base_checksum=file:out/base/vtps-base.qcow2.sha256 -var deb=build/vtps_0.1.0_amd64.deb \
#     -var accelerator=tcg -var cpu=max packer/vtps.pkr.hcl

variable "base_image" {
  type        = string
  description = "the mmdebstrap base image (qcow2)"
}

variable "base_checksum" {
  type        = string
  description = "its checksum, e.g. file:out/base/vtps-base.qcow2.sha256"
}

variable "deb" {
  type        = string
  description = "the vtps .deb (cmake --build build --target package)"
}

variable "output_directory" {
  type    = string
  default = "out/packer"
}

variable "accelerator" {
  type        = string
  default     = "kvm"
  description = "kvm where /dev/kvm works, tcg otherwise"
}

variable "cpu" {
  type        = string
  default     = "host,-arch-capabilities"
  description = "QEMU -cpu: host passthrough under KVM (max under TCG)"
}

variable "ovmf" {
  type        = string
  default     = "/usr/share/ovmf/OVMF.fd"
  description = "UEFI firmware (Debian's ovmf package); the image boots with systemd-boot"
}

variable "serial_log" {
  type    = string
  default = "out/packer-serial.log"
}

source "qemu" "vtps" {
  iso_url          = var.base_image
  iso_checksum     = var.base_checksum
  disk_image       = true
  use_backing_file = false
  format           = "qcow2"
  disk_size        = "4096M" # the base image's size; instances grow it (cloud-init growpart)
  disk_interface   = "virtio"
  disk_compression = true
  skip_compaction  = false
  net_device       = "virtio-net"
  machine_type     = "q35"
  accelerator      = var.accelerator
  memory           = 2048
  cpus             = 2
  headless         = true
  vm_name          = "vtps.qcow2"
  output_directory = var.output_directory

  cd_label = "cidata"
  cd_files = [
    var.deb,
    "${path.root}/bake/meta-data",
    "${path.root}/bake/user-data",
    "${path.root}/bake/bake.sh",
  ]

  # UEFI and the CPU model go through qemuargs: 1.6.6's qemu builder has no firmware or CPU
  # options. -bios (not -drive if=pflash) keeps Packer's own -drive arguments for the disk
  # and the seed CD.
  qemuargs = [
    ["-bios", var.ovmf],
    ["-cpu", var.cpu],
    ["-serial", "file:${var.serial_log}"],
  ]

  communicator     = "none"
  boot_wait        = "1s"
  shutdown_timeout = "40m"
}

build {
  sources = ["source.qemu.vtps"]

  post-processor "shell-local" {
    inline = ["cd ${var.output_directory} && sha256sum vtps.qcow2 > vtps.qcow2.sha256"]
  }
}
