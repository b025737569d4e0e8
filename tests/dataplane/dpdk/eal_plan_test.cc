#include "dataplane/dpdk/eal_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "appliance/config/loader.h"

namespace vtps::dpdk {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

config::Config loadConfig(const std::string& yaml) {
  config::LoadResult r = config::loadString(yaml, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.report();
  return r.ok() ? *r.config : config::Config{};
}

HostFacts fourCpus(std::size_t free_2m_pages) {
  HostFacts h;
  h.online_cpus = {0, 1, 2, 3};
  h.isolated_cpus = {3};
  h.hugepages = {{2048, 1024, free_2m_pages}};
  return h;
}

constexpr const char* kStandard = R"(device:
  dataplane: dpdk
  cores: {proxy: [1], dataplane: [1]}
segments:
  - {name: seg1, ports: ["net_af_packet0,iface=vdpa0", "net_af_packet1,iface=vdpa1"]}
)";

TEST(PortSpecTest, ReadsPciAddressesAndVdevs) {
  Result<PortSpec> pci = parsePortSpec("00:04.0");
  ASSERT_TRUE(pci.ok()) << pci.message();
  EXPECT_EQ(pci->kind, PortSpec::Kind::kPci);
  EXPECT_EQ(pci->name, "0000:00:04.0");
  EXPECT_EQ(parsePortSpec("0000:3B:1F.7")->name, "0000:3b:1f.7");
  Result<PortSpec> vdev = parsePortSpec("net_af_packet0,iface=veth1,qpairs=1");
  ASSERT_TRUE(vdev.ok()) << vdev.message();
  EXPECT_EQ(vdev->kind, PortSpec::Kind::kVdev);
  EXPECT_EQ(vdev->name, "net_af_packet0");
  EXPECT_EQ(vdev->device, "net_af_packet0,iface=veth1,qpairs=1");
  EXPECT_EQ(parsePortSpec("net_null3")->name, "net_null3");
}

TEST(PortSpecTest, RejectsWhatIsNeitherPciNorVdev) {
  const std::string why =
      " is neither a PCI address (DDDD:BB:DD.F) nor a DPDK virtual device "
      "(net_<driver><n>[,key=value...])";
  EXPECT_EQ(parsePortSpec("eth0").message(), "\"eth0\"" + why);
  EXPECT_EQ(parsePortSpec("0000:00:20.0").message(), "\"0000:00:20.0\"" + why);  // device > 1f
  EXPECT_EQ(parsePortSpec("0000:00:04.8").message(), "\"0000:00:04.8\"" + why);
  EXPECT_EQ(parsePortSpec("net_af_packet,iface=x").message(), "\"net_af_packet,iface=x\"" + why);
  EXPECT_EQ(parsePortSpec("net_Tap0").message(), "\"net_Tap0\"" + why);
}

TEST(EalPlanTest, StandardModeWithoutHugepagesUsesNoHugeAndVdevs) {
  Result<EalPlan> plan = buildEalPlan(loadConfig(kStandard), fourCpus(0));
  ASSERT_TRUE(plan.ok()) << plan.message();
  EXPECT_THAT(plan->args,
              ElementsAre("vtpsd", "--lcores", "0@(0,2-3),1@1", "--main-lcore", "0",
                          "--no-telemetry", "-m", "512", "--no-huge", "--no-shconf", "--vdev",
                          "net_af_packet0,iface=vdpa0", "--vdev", "net_af_packet1,iface=vdpa1",
                          "--vdev", "net_tap_vtps0,iface=vtps-ex0", "--no-pci"));
  EXPECT_THAT(plan->worker_cpus, ElementsAre(1));
  EXPECT_FALSE(plan->busy_poll);
  EXPECT_FALSE(plan->hugepages);
  ASSERT_EQ(plan->segments.size(), 1u);
  EXPECT_EQ(plan->segments[0].ports[1].name, "net_af_packet1");
  // SSL server inspection is on by default: the segment has an exception port.
  EXPECT_EQ(plan->segments[0].exception.name, "net_tap_vtps0");
  EXPECT_EQ(plan->segments[0].exception_interface, "vtps-ex0");
  EXPECT_THAT(plan->notes, ElementsAre("cpus online 0-3, isolated 3; hugepages 2048kB 0/1024 "
                                       "free; IOMMU off"));
}

TEST(EalPlanTest, PerformanceModeUsesHugepagesPciAndBusyPoll) {
  Result<EalPlan> plan = buildEalPlan(loadConfig(R"(device:
  dataplane: dpdk
  mode: performance
  cores: {proxy: [0, 1], dataplane: [2, 3]}
segments:
  - {name: seg1, ports: ["0000:00:04.0", "0000:00:05.0"]}
)"),
                                      fourCpus(512));
  ASSERT_TRUE(plan.ok()) << plan.message();
  EXPECT_THAT(plan->args,
              ElementsAre("vtpsd", "--lcores", "0@(0-1),1@2,2@3", "--main-lcore", "0",
                          "--no-telemetry", "-m", "512", "--in-memory", "-a", "0000:00:04.0", "-a",
                          "0000:00:05.0", "--vdev", "net_tap_vtps0,iface=vtps-ex0"));
  EXPECT_TRUE(plan->busy_poll);
  EXPECT_TRUE(plan->hugepages);
  EXPECT_THAT(plan->main_cpus, ElementsAre(0, 1));
  ASSERT_EQ(plan->notes.size(), 2u);
  EXPECT_EQ(plan->notes[0],
            "dataplane core 2 is not isolated (isolcpus=); other tasks may run on it");
}

TEST(EalPlanTest, NoExceptionPortsWithoutSslInspection) {
  Result<EalPlan> plan = buildEalPlan(loadConfig(R"(device:
  dataplane: dpdk
  cores: {proxy: [1], dataplane: [1]}
  ssl-inspection: {server: false, client: false}
segments:
  - {name: seg1, ports: ["net_null0", "net_null1"]}
  - {name: seg2, ports: ["net_null2", "net_null3"]}
)"),
                                      fourCpus(0));
  ASSERT_TRUE(plan.ok()) << plan.message();
  for (const SegmentPlan& s : plan->segments)
    EXPECT_TRUE(s.exception_interface.empty()) << s.name;
  for (const std::string& a : plan->args)
    EXPECT_EQ(a.find("net_tap"), std::string::npos) << a;
  EXPECT_EQ(exceptionInterfaceName(1), "vtps-ex1");
}

TEST(EalPlanTest, RefusesMissingCoresSharedCoresAndMissingHugepages) {
  config::Config c = loadConfig(R"(device:
  dataplane: dpdk
  mode: standard
  cores: {proxy: [2], dataplane: [2, 9]}
segments:
  - {name: seg1, ports: ["0000:00:04.0", "eth1"]}
)");
  c.device.mode = config::DeviceMode::kPerformance;  // the schema refuses the shared core itself
  Result<EalPlan> plan = buildEalPlan(c, fourCpus(100));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.message(),
            "dpdk dataplane: segments[0].ports[1]: \"eth1\" is neither a PCI address "
            "(DDDD:BB:DD.F) nor a DPDK virtual device (net_<driver><n>[,key=value...])\n"
            "device.cores.dataplane: core 2 is also a proxy core; performance mode needs them "
            "disjoint\n"
            "device.cores.dataplane: core 9 is not an online CPU (online: 0-3)\n"
            "device.mode: performance mode needs 512 MB of free hugepages; 200 MB are free "
            "(reserve more, e.g. dpdk-hugepages.py --reserve 1G)");
}

TEST(EalPlanTest, RefusesNoSegmentsAndNoCoreLeftForControlInPerformanceMode) {
  config::Config c = loadConfig("device: {dataplane: dpdk, cores: {proxy: [0], dataplane: [0]}}\n");
  EXPECT_EQ(buildEalPlan(c, fourCpus(0)).message(),
            "dpdk dataplane: segments: the dpdk dataplane needs a segment");
  c = loadConfig(kStandard);
  c.device.mode = config::DeviceMode::kPerformance;
  c.device.proxy_cores = {};
  c.device.dataplane_cores = {0, 1, 2, 3};
  EXPECT_THAT(buildEalPlan(c, fourCpus(1024)).message(),
              HasSubstr("every online CPU is a dataplane core; none is left for the control "
                        "thread"));
  c.device.mode = config::DeviceMode::kStandard;
  Result<EalPlan> shared = buildEalPlan(c, fourCpus(1024));
  ASSERT_TRUE(shared.ok()) << shared.message();
  EXPECT_EQ(shared->args[2], "0@(0-3),1@0,2@1,3@2,4@3");
  EXPECT_TRUE(shared->hugepages);
}

}  // namespace
}  // namespace vtps::dpdk
