// CPU features that decide how fast TLS runs and where entropy comes from: AES-NI and PCLMULQDQ
// (AES-GCM at all), AVX2 / AVX-512 / VAES / VPCLMULQDQ (wide AES-GCM in intel-ipsec-mb),
// RDRAND / RDSEED (seeding), SHA-NI. Detected with CPUID; vector extensions count only when the
// operating system saves their register state (XGETBV), which is also what /proc/cpuinfo shows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vtps::accel {

struct CpuFeatures {
  std::string vendor;  // "GenuineIntel", "AuthenticAMD", ...
  std::string brand;   // processor brand string, trimmed; empty when the CPU has none
  bool hypervisor = false;

  // Each flag is true only when the instructions can be used: CPUID reports them and, for the
  // vector extensions, the OS enabled the matching XSAVE state.
  bool aesni = false;
  bool pclmulqdq = false;
  bool avx2 = false;
  bool avx512f = false;
  bool vaes = false;
  bool vpclmulqdq = false;
  bool rdrand = false;
  bool rdseed = false;
  bool shaNi = false;

  // OS support (CPUID.OSXSAVE and XCR0): YMM state for AVX, opmask/ZMM state for AVX-512.
  bool osXsave = false;
  bool osAvxState = false;
  bool osAvx512State = false;
};

// One feature as shown to operators; `name` is the Linux /proc/cpuinfo flag name.
struct NamedFeature {
  std::string_view name;
  bool present = false;
};

// Runs CPUID/XGETBV on the calling CPU. Cheap (microseconds); callers may cache.
CpuFeatures detectCpuFeatures();

// The nine features in a fixed order: aes, pclmulqdq, avx2, avx512f, vaes, vpclmulqdq, rdrand,
// rdseed, sha_ni.
std::vector<NamedFeature> listCpuFeatures(const CpuFeatures& features);

// Warnings for performance mode: one message per missing feature that the vendor recommends
// (RDRAND) or that TLS bulk crypto depends on (AES-NI). Empty when nothing is missing.
std::vector<std::string> performanceModeWarnings(const CpuFeatures& features);

// Multi-line text for `vtpsctl show crypto`: CPU identity, each feature yes/no, OS vector state,
// and the performance-mode warnings.
std::string describeCpuFeatures(const CpuFeatures& features);
std::string describeCpuFeatures();

}  // namespace vtps::accel
