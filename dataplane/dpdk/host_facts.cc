#include "dataplane/dpdk/host_facts.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

namespace vtps::dpdk {
namespace {

std::optional<int> parseCpu(std::string_view s) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size() || value < 0 || value > 65535)
    return std::nullopt;
  return value;
}

std::string readFirstLine(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::size_t readCount(const std::filesystem::path& path) {
  std::string line = readFirstLine(path);
  std::size_t value = 0;
  std::from_chars(line.data(), line.data() + line.size(), value);
  return value;
}

std::vector<int> readCpuListFile(const std::filesystem::path& path) {
  return parseCpuList(readFirstLine(path)).value_or(std::vector<int>{});
}

// hugepages-2048kB -> 2048
std::optional<std::size_t> poolPageKb(const std::string& dir_name) {
  constexpr std::string_view kPrefix = "hugepages-";
  if (!dir_name.starts_with(kPrefix) || !dir_name.ends_with("kB")) return std::nullopt;
  std::string_view digits(dir_name);
  digits = digits.substr(kPrefix.size(), digits.size() - kPrefix.size() - 2);
  std::size_t kb = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), kb);
  if (ec != std::errc{} || ptr != digits.data() + digits.size()) return std::nullopt;
  return kb;
}

}  // namespace

std::size_t HostFacts::freeHugepageKb() const {
  std::size_t kb = 0;
  for (const HugepagePool& p : hugepages)
    kb += p.free * p.page_kb;
  return kb;
}

bool HostFacts::isOnline(int cpu) const {
  return std::binary_search(online_cpus.begin(), online_cpus.end(), cpu);
}

bool HostFacts::isIsolated(int cpu) const {
  return std::binary_search(isolated_cpus.begin(), isolated_cpus.end(), cpu);
}

std::optional<std::vector<int>> parseCpuList(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.remove_suffix(1);
  std::set<int> cpus;
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (comma != std::string_view::npos && text.empty()) return std::nullopt;  // trailing ','
    std::size_t dash = item.find('-');
    auto first = parseCpu(item.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : parseCpu(item.substr(dash + 1));
    if (!first || !last || *last < *first) return std::nullopt;
    for (int c = *first; c <= *last; ++c)
      cpus.insert(c);
  }
  return std::vector<int>(cpus.begin(), cpus.end());
}

std::string formatCpuList(const std::vector<int>& cpus) {
  std::vector<int> sorted = cpus;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string out;
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1)
      ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(sorted[i]);
    if (j > i) out += '-' + std::to_string(sorted[j]);
    i = j + 1;
  }
  return out;
}

HostFacts readHostFacts(const std::filesystem::path& sys_root) {
  HostFacts f;
  f.online_cpus = readCpuListFile(sys_root / "devices/system/cpu/online");
  f.isolated_cpus = readCpuListFile(sys_root / "devices/system/cpu/isolated");
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(sys_root / "kernel/mm/hugepages", ec)) {
    auto kb = poolPageKb(entry.path().filename().string());
    if (!kb) continue;
    f.hugepages.push_back({*kb, readCount(entry.path() / "nr_hugepages"),
                           readCount(entry.path() / "free_hugepages")});
  }
  std::sort(f.hugepages.begin(), f.hugepages.end(),
            [](const HugepagePool& a, const HugepagePool& b) { return a.page_kb < b.page_kb; });
  for (auto it = std::filesystem::directory_iterator(sys_root / "kernel/iommu_groups", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++f.iommu_groups;
  }
  std::string noiommu =
      readFirstLine(sys_root / "module/vfio/parameters/enable_unsafe_noiommu_mode");
  f.vfio_noiommu = noiommu == "Y" || noiommu == "1";
  return f;
}

std::string describeHost(const HostFacts& facts) {
  std::ostringstream out;
  out << "cpus online " << (facts.online_cpus.empty() ? "?" : formatCpuList(facts.online_cpus))
      << ", isolated "
      << (facts.isolated_cpus.empty() ? "none" : formatCpuList(facts.isolated_cpus))
      << "; hugepages ";
  if (facts.hugepages.empty()) out << "none";
  for (std::size_t i = 0; i < facts.hugepages.size(); ++i) {
    const HugepagePool& p = facts.hugepages[i];
    out << (i ? ", " : "") << p.page_kb << "kB " << p.free << '/' << p.total << " free";
  }
  if (facts.iommu_groups > 0) {
    out << "; IOMMU on (" << facts.iommu_groups << " groups)";
  } else {
    out << "; IOMMU off" << (facts.vfio_noiommu ? " (vfio no-IOMMU mode on)" : "");
  }
  return out.str();
}

}  // namespace vtps::dpdk
