#include "dataplane/dpdk/host_facts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace vtps::dpdk {
namespace {

using ::testing::ElementsAre;

TEST(CpuListTest, ParsesRangesAndSingles) {
  EXPECT_THAT(*parseCpuList("0-3,5\n"), ElementsAre(0, 1, 2, 3, 5));
  EXPECT_THAT(*parseCpuList("7"), ElementsAre(7));
  EXPECT_THAT(*parseCpuList("3,1-2,2"), ElementsAre(1, 2, 3));
  EXPECT_TRUE(parseCpuList("\n")->empty());
}

TEST(CpuListTest, RejectsWhatIsNotACpuList) {
  EXPECT_FALSE(parseCpuList("3-1").has_value());
  EXPECT_FALSE(parseCpuList("a").has_value());
  EXPECT_FALSE(parseCpuList("1,").has_value());
  EXPECT_FALSE(parseCpuList("-1").has_value());
  EXPECT_FALSE(parseCpuList("1-").has_value());
}

TEST(CpuListTest, FormatsRunsAsRanges) {
  EXPECT_EQ(formatCpuList({5, 0, 1, 2, 3}), "0-3,5");
  EXPECT_EQ(formatCpuList({4}), "4");
  EXPECT_EQ(formatCpuList({1, 3}), "1,3");
  EXPECT_EQ(formatCpuList({}), "");
}

class FakeSys {
 public:
  FakeSys() {
    root_ = std::filesystem::temp_directory_path() /
            ("vtps-host-facts-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(root_);
  }
  ~FakeSys() { std::filesystem::remove_all(root_); }
  void write(const std::string& rel, const std::string& text) {
    std::filesystem::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }
  void mkdir(const std::string& rel) { std::filesystem::create_directories(root_ / rel); }
  const std::filesystem::path& root() const { return root_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path root_;
};

TEST(HostFactsTest, ReadsCpusHugepagesAndIommuFromSysfs) {
  FakeSys sys;
  sys.write("devices/system/cpu/online", "0-3\n");
  sys.write("devices/system/cpu/isolated", "2-3\n");
  sys.write("kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "512\n");
  sys.write("kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "500\n");
  sys.write("kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "1\n");
  sys.write("kernel/mm/hugepages/hugepages-1048576kB/free_hugepages", "0\n");
  sys.mkdir("kernel/iommu_groups/0");
  sys.mkdir("kernel/iommu_groups/1");
  HostFacts f = readHostFacts(sys.root());
  EXPECT_THAT(f.online_cpus, ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(f.isolated_cpus, ElementsAre(2, 3));
  ASSERT_EQ(f.hugepages.size(), 2u);
  EXPECT_EQ(f.hugepages[0].page_kb, 2048u);
  EXPECT_EQ(f.freeHugepageKb(), 500u * 2048u);
  EXPECT_EQ(f.iommu_groups, 2u);
  EXPECT_TRUE(f.isIsolated(3));
  EXPECT_FALSE(f.isIsolated(1));
  EXPECT_EQ(describeHost(f),
            "cpus online 0-3, isolated 2-3; hugepages 2048kB 500/512 free, 1048576kB 0/1 free; "
            "IOMMU on (2 groups)");
}

TEST(HostFactsTest, MissingFilesReadAsNothing) {
  FakeSys sys;
  sys.write("devices/system/cpu/online", "0\n");
  sys.write("module/vfio/parameters/enable_unsafe_noiommu_mode", "Y\n");
  HostFacts f = readHostFacts(sys.root());
  EXPECT_THAT(f.online_cpus, ElementsAre(0));
  EXPECT_TRUE(f.hugepages.empty());
  EXPECT_EQ(f.iommu_groups, 0u);
  EXPECT_EQ(describeHost(f),
            "cpus online 0, isolated none; hugepages none; IOMMU off (vfio no-IOMMU mode on)");
}

}  // namespace
}  // namespace vtps::dpdk
