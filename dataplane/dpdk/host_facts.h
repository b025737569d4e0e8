// What the host offers a DPDK dataplane: online and isolated CPUs, hugepage pools and IOMMU
// state, read from sysfs. Pure functions over a sysfs root so that tests can give a fake tree.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtps::dpdk {

struct HugepagePool {
  std::size_t page_kb = 0;
  std::size_t total = 0;
  std::size_t free = 0;
};

struct HostFacts {
  std::vector<int> online_cpus;
  std::vector<int> isolated_cpus;  // isolcpus= on the kernel command line
  std::vector<HugepagePool> hugepages;
  std::size_t iommu_groups = 0;  // 0: no IOMMU (or it is off); vfio-pci then needs no-IOMMU mode
  bool vfio_noiommu = false;     // vfio's enable_unsafe_noiommu_mode

  std::size_t freeHugepageKb() const;
  bool isOnline(int cpu) const;
  bool isIsolated(int cpu) const;
};

// "0-3,5" (the kernel's cpulist format) into sorted distinct CPUs; "" and "\n" are empty lists.
// nullopt when the text is not a cpulist.
std::optional<std::vector<int>> parseCpuList(std::string_view text);
// The reverse: {0,1,2,3,5} -> "0-3,5"; {} -> "".
std::string formatCpuList(const std::vector<int>& cpus);

// Reads the facts under `sys_root` (normally /sys). Missing files read as empty: a container
// without hugepage pools or IOMMU groups reports none of them.
HostFacts readHostFacts(const std::filesystem::path& sys_root = "/sys");

// One line for the system log, e.g. "cpus online 0-3, isolated 2-3; hugepages 2048kB 512/512
// free; IOMMU on (14 groups)".
std::string describeHost(const HostFacts& facts);

}  // namespace vtps::dpdk
