#include "crypto/accel/cpu_features.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace vtps::accel {
namespace {

// The flags of the first processor in /proc/cpuinfo: the kernel lists a vector extension only
// when it also saves that extension's registers, the same rule detectCpuFeatures applies.
std::set<std::string> procCpuinfoFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::set<std::string> flags;
    for (std::string w; words >> w;)
      flags.insert(w);
    return flags;
  }
  return {};
}

CpuFeatures allPresent() {
  CpuFeatures f;
  f.vendor = "GenuineIntel";
  f.brand = "Test CPU";
  f.aesni = f.pclmulqdq = f.avx2 = f.avx512f = f.vaes = f.vpclmulqdq = true;
  f.rdrand = f.rdseed = f.shaNi = true;
  f.osXsave = f.osAvxState = f.osAvx512State = true;
  return f;
}

TEST(CpuFeaturesTest, MatchesProcCpuinfoFlags) {
  std::set<std::string> flags = procCpuinfoFlags();
  ASSERT_FALSE(flags.empty()) << "no flags line in /proc/cpuinfo";
  CpuFeatures f = detectCpuFeatures();
  for (const NamedFeature& nf : listCpuFeatures(f)) {
    EXPECT_EQ(nf.present, flags.count(std::string(nf.name)) == 1) << nf.name;
  }
  EXPECT_EQ(f.hypervisor, flags.count("hypervisor") == 1);
  EXPECT_EQ(f.osXsave, flags.count("osxsave") == 1 || flags.count("xsave") == 1);
}

TEST(CpuFeaturesTest, VectorFeaturesRequireOsState) {
  CpuFeatures f = detectCpuFeatures();
  if (f.avx2 || f.vaes || f.vpclmulqdq) {
    EXPECT_TRUE(f.osAvxState);
  }
  if (f.avx512f) {
    EXPECT_TRUE(f.osAvx512State);
  }
  if (f.osAvx512State) {
    EXPECT_TRUE(f.osAvxState);
  }
  EXPECT_FALSE(f.vendor.empty());
}

TEST(CpuFeaturesTest, ListsNineFeaturesInFixedOrder) {
  CpuFeatures f;
  f.rdseed = true;
  std::vector<NamedFeature> list = listCpuFeatures(f);
  ASSERT_EQ(list.size(), 9u);
  const char* expected[] = {"aes",        "pclmulqdq", "avx2",   "avx512f", "vaes",
                            "vpclmulqdq", "rdrand",    "rdseed", "sha_ni"};
  for (size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].name, expected[i]);
    EXPECT_EQ(list[i].present, list[i].name == "rdseed") << list[i].name;
  }
}

TEST(CpuFeaturesTest, NoWarningsWhenRdrandAndAesNiPresent) {
  EXPECT_TRUE(performanceModeWarnings(allPresent()).empty());
}

TEST(CpuFeaturesTest, WarnsWhenRdrandOrAesNiMissing) {
  CpuFeatures no_rdrand = allPresent();
  no_rdrand.rdrand = false;
  EXPECT_EQ(performanceModeWarnings(no_rdrand),
            std::vector<std::string>{
                "performance mode: CPU does not expose RDRAND (recommended for the vTPS; a "
                "hypervisor CPU model may hide it); OpenSSL is seeded from the operating system "
                "only"});

  CpuFeatures no_aes = allPresent();
  no_aes.aesni = false;
  EXPECT_EQ(performanceModeWarnings(no_aes),
            std::vector<std::string>{
                "performance mode: CPU does not expose AES-NI (a hypervisor CPU model may hide "
                "it); TLS bulk encryption runs in software and inspection throughput drops "
                "several-fold"});

  CpuFeatures neither = allPresent();
  neither.aesni = neither.rdrand = false;
  EXPECT_EQ(performanceModeWarnings(neither).size(), 2u);
}

TEST(CpuFeaturesTest, DescribeListsEveryFeatureAndWarnings) {
  CpuFeatures f = allPresent();
  f.hypervisor = true;
  f.rdrand = false;
  f.osAvx512State = f.avx512f = false;
  EXPECT_EQ(describeCpuFeatures(f),
            "cpu: GenuineIntel Test CPU\n"
            "hypervisor: yes\n"
            "features:\n"
            "  aes         yes\n"
            "  pclmulqdq   yes\n"
            "  avx2        yes\n"
            "  avx512f     no\n"
            "  vaes        yes\n"
            "  vpclmulqdq  yes\n"
            "  rdrand      no\n"
            "  rdseed      yes\n"
            "  sha_ni      yes\n"
            "os vector state: avx yes, avx-512 no\n"
            "warning: performance mode: CPU does not expose RDRAND (recommended for the vTPS; a "
            "hypervisor CPU model may hide it); OpenSSL is seeded from the operating system "
            "only\n");
}

TEST(CpuFeaturesTest, DescribeOfThisCpuNamesItsVendor) {
  CpuFeatures f = detectCpuFeatures();
  std::string text = describeCpuFeatures();
  EXPECT_EQ(text.rfind("cpu: " + f.vendor, 0), 0u) << text;
  EXPECT_NE(text.find("  rdseed      " + std::string(f.rdseed ? "yes" : "no")), std::string::npos);
}

}  // namespace
}  // namespace vtps::accel
