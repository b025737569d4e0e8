#include "crypto/accel/cpu_features.h"

#include <cpuid.h>
#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace vtps::accel {
namespace {

struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

// Leaf `leaf`, subleaf `sub`; all zero when the leaf is above the CPU's maximum.
CpuidRegs cpuid(uint32_t leaf, uint32_t sub = 0) {
  CpuidRegs r;
  if (__get_cpuid_count(leaf, sub, &r.eax, &r.ebx, &r.ecx, &r.edx) == 0) return CpuidRegs{};
  return r;
}

constexpr bool bit(uint32_t reg, unsigned n) {
  return ((reg >> n) & 1U) != 0;
}

// XCR0; only valid when CPUID.1:ECX.OSXSAVE is set (otherwise XGETBV faults).
uint64_t readXcr0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

std::string vendorString() {
  CpuidRegs r = cpuid(0);
  char buf[13] = {};
  std::memcpy(buf, &r.ebx, 4);
  std::memcpy(buf + 4, &r.edx, 4);
  std::memcpy(buf + 8, &r.ecx, 4);
  return buf;
}

std::string brandString() {
  if (cpuid(0x80000000).eax < 0x80000004) return {};
  std::array<char, 49> buf{};
  for (uint32_t i = 0; i < 3; ++i) {
    CpuidRegs r = cpuid(0x80000002 + i);
    std::memcpy(buf.data() + i * 16, &r, 16);
  }
  std::string s(buf.data());
  size_t first = s.find_first_not_of(' ');
  size_t last = s.find_last_not_of(' ');
  return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
}

}  // namespace

CpuFeatures detectCpuFeatures() {
  CpuFeatures f;
  f.vendor = vendorString();
  f.brand = brandString();
  const uint32_t max_leaf = cpuid(0).eax;
  CpuidRegs l1 = cpuid(1);
  CpuidRegs l7 = max_leaf >= 7 ? cpuid(7, 0) : CpuidRegs{};

  f.hypervisor = bit(l1.ecx, 31);
  f.osXsave = bit(l1.ecx, 27);
  if (f.osXsave) {
    const uint64_t xcr0 = readXcr0();
    // XMM|YMM (bits 1,2) for AVX; opmask|ZMM_Hi256|Hi16_ZMM (bits 5..7) on top for AVX-512.
    f.osAvxState = (xcr0 & 0x6) == 0x6 && bit(l1.ecx, 28);
    f.osAvx512State = f.osAvxState && (xcr0 & 0xE0) == 0xE0;
  }

  f.aesni = bit(l1.ecx, 25);
  f.pclmulqdq = bit(l1.ecx, 1);
  f.rdrand = bit(l1.ecx, 30);
  f.rdseed = bit(l7.ebx, 18);
  f.shaNi = bit(l7.ebx, 29);
  f.avx2 = f.osAvxState && bit(l7.ebx, 5);
  f.avx512f = f.osAvx512State && bit(l7.ebx, 16);
  f.vaes = f.osAvxState && bit(l7.ecx, 9);
  f.vpclmulqdq = f.osAvxState && bit(l7.ecx, 10);
  return f;
}

std::vector<NamedFeature> listCpuFeatures(const CpuFeatures& f) {
  return {
      {"aes", f.aesni},       {"pclmulqdq", f.pclmulqdq}, {"avx2", f.avx2},
      {"avx512f", f.avx512f}, {"vaes", f.vaes},           {"vpclmulqdq", f.vpclmulqdq},
      {"rdrand", f.rdrand},   {"rdseed", f.rdseed},       {"sha_ni", f.shaNi},
  };
}

std::vector<std::string> performanceModeWarnings(const CpuFeatures& f) {
  std::vector<std::string> out;
  if (!f.rdrand) {
    out.emplace_back(
        "performance mode: CPU does not expose RDRAND (recommended for the vTPS; a hypervisor CPU "
        "model may hide it); OpenSSL is seeded from the operating system only");
  }
  if (!f.aesni) {
    out.emplace_back(
        "performance mode: CPU does not expose AES-NI (a hypervisor CPU model may hide it); TLS "
        "bulk encryption runs in software and inspection throughput drops several-fold");
  }
  return out;
}

std::string describeCpuFeatures(const CpuFeatures& f) {
  std::string out = fmt::format("cpu: {}{}{}\n", f.vendor, f.brand.empty() ? "" : " ", f.brand);
  out += fmt::format("hypervisor: {}\n", f.hypervisor ? "yes" : "no");
  out += "features:\n";
  for (const NamedFeature& nf : listCpuFeatures(f)) {
    out += fmt::format("  {:<11} {}\n", nf.name, nf.present ? "yes" : "no");
  }
  out += fmt::format("os vector state: avx {}, avx-512 {}\n", f.osAvxState ? "yes" : "no",
                     f.osAvx512State ? "yes" : "no");
  for (const std::string& w : performanceModeWarnings(f))
    out += "warning: " + w + "\n";
  return out;
}

std::string describeCpuFeatures() {
  return describeCpuFeatures(detectCpuFeatures());
}

}  // namespace vtps::accel
