// Files an instance needs on the host: its disk, a copy-on-write qcow2 overlay of the appliance
// image (instances share the image and keep their own changes), and its NoCloud seed ISO. Both
// are made by the host's tools (qemu-img, xorriso), run without a shell.
#pragma once

#include <string>
#include <vector>

#include "appliance/hypervisor/nocloud_seed.h"
#include "crypto/result.h"

namespace vtps::hypervisor {

// Creates `disk` as a qcow2 overlay backed by `base_image` (an absolute path is recorded) unless
// `disk` exists: an instance that comes back keeps its state.
Status ensureOverlayDisk(const std::string& base_image, const std::string& disk);

// Writes `iso` as a NoCloud seed: an ISO 9660 + Rock Ridge + Joliet image labelled "cidata"
// holding meta-data and user-data. Replaces an older seed atomically.
Status writeSeedIso(const SeedFiles& seed, const std::string& iso);

// Runs argv[0] (looked up in PATH) with the arguments, waits, and fails with its stderr (last
// lines) when it exits non-zero: `qemu-img create …: exit 1: qemu-img: … Could not open …`.
Status runTool(const std::vector<std::string>& argv);

}  // namespace vtps::hypervisor
