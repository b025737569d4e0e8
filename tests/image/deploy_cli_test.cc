// `vtpsctl deploy` driven as a subprocess: XML sized from the appliance config and accepted by
// virt-xml-validate, refusals with their exact messages, and scale/status against libvirt's
// test:///default driver (one vtpsctl process = one connection = one fresh test hypervisor).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "appliance/hypervisor/instance_storage.h"
#include "tests/image/temp_dir.h"

extern char** environ;

namespace vtps::hypervisor {
namespace {

using vtps::testing::readAll;
using vtps::testing::TempDir;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class DeployCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("vtps.yaml",
               "device:\n  dataplane: dpdk\n  mode: performance\n"
               "  cores: {proxy: [1], dataplane: [2, 3]}\n");
    image_ = dir_.file("vtps.qcow2");
    ASSERT_TRUE(runTool({"qemu-img", "create", "-q", "-f", "qcow2", image_, "16M"}).ok());
  }

  Outcome vtpsctl(std::vector<std::string> args) {
    args.insert(args.begin(), {VTPSCTL_PATH, "--config", dir_.file("vtps.yaml"), "deploy"});
    std::string out = dir_.file("out.txt"), err = dir_.file("err.txt");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    Outcome r;
    int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return r;
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = readAll(out);
    r.err = readAll(err);
    return r;
  }

  // CLI11 takes each single-valued option once, so the pinning is a parameter, not an extra.
  std::vector<std::string> spec(std::string host_cpus = "4-7", std::string emulator_cpus = "0",
                                std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--image",          image_,        "--state-dir",
                                  dir_.file("state"), "--host-cpus", host_cpus,
                                  "--emulator-cpus",  emulator_cpus, "--data-port",
                                  "bridge:br-seg1a",  "--data-port", "vf:0000:3b:02.1,vlan=10"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  std::vector<std::string> with(std::vector<std::string> head, std::vector<std::string> tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  }

  TempDir dir_;
  std::string image_;
};

TEST_F(DeployCliTest, XmlIsSizedFromTheConfigAndPassesVirtXmlValidate) {
  Outcome r = vtpsctl(with({"xml"}, spec()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string& x = r.out;
  EXPECT_NE(x.find("<vcpu placement='static'>4</vcpu>"), std::string::npos) << x;
  EXPECT_NE(x.find("<vcpupin vcpu='3' cpuset='7'/>"), std::string::npos);
  EXPECT_NE(x.find("<emulatorpin cpuset='0'/>"), std::string::npos);
  EXPECT_NE(x.find("<page size='2048' unit='KiB'/>"), std::string::npos);
  // Two dataplane cores: two queue pairs per virtio data port.
  EXPECT_NE(x.find("<driver name='vhost' queues='2'/>"), std::string::npos);
  EXPECT_NE(x.find("<tag id='10'/>"), std::string::npos);
  EXPECT_NE(x.find("<source network='default'/>"), std::string::npos);
  EXPECT_NE(x.find(dir_.file("state") + "/vtps-seed.iso"), std::string::npos);
  Status valid = runTool({"virt-xml-validate", dir_.write("d.xml", x), "domain"});
  EXPECT_TRUE(valid.ok()) << valid.message();
}

TEST_F(DeployCliTest, RefusalsNameTheProblem) {
  Outcome r = vtpsctl({"xml", "--image", image_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "vtpsctl: performance mode pins every vCPU to a host core: --host-cpus is required\n");
  r = vtpsctl(with({"xml"}, spec("4-7", "0", {"--vcpus", "3"})));
  EXPECT_EQ(r.err, "vtpsctl: --vcpus 3: the config's cores need 4 vCPUs\n");
  r = vtpsctl(with({"xml"}, spec("4-7", "5")));
  EXPECT_EQ(r.err, "vtpsctl: --emulator-cpus: host CPU 5 is also pinned to a vCPU\n");
  r = vtpsctl(with({"xml"}, spec("4-7", "0", {"--data-port", "vf:0000:3b:02.1,vlan=0"})));
  EXPECT_EQ(r.err, "vtpsctl: data port \"vf:0000:3b:02.1,vlan=0\": vlan must be 1..4094\n");
  r = vtpsctl({"xml", "--image", image_, "--mode", "standard", "--mgmt", "nat:x"});
  EXPECT_EQ(r.err,
            "vtpsctl: --mgmt: NIC source \"nat:x\": expected network:NAME, bridge:NAME "
            "or tap:NAME\n");
  r = vtpsctl({"xml", "--image", image_, "--mode", "fast"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(DeployCliTest, StandardModeNeedsNoPinning) {
  Outcome r = vtpsctl({"xml", "--image", image_, "--mode", "standard", "--name", "edge"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("<cputune>"), std::string::npos);
  EXPECT_EQ(r.out.find("<memoryBacking>"), std::string::npos);
  EXPECT_NE(r.out.find("<name>edge</name>"), std::string::npos);
}

TEST_F(DeployCliTest, ScaleAndStatusAgainstTheTestDriver) {
  Outcome r =
      vtpsctl(with({"--connect", "test:///default", "scale", "--count", "2"}, spec("4-11")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "running vtps-1\nrunning vtps-2\n");
  EXPECT_NE(readAll(dir_.file("state") + "/vtps-2-seed.iso").find("instance-id: vtps-2"),
            std::string::npos);
  // Two instances of 4 vCPUs do not fit on 4 host CPUs.
  r = vtpsctl({"--connect", "test:///default", "scale", "--count", "2", "--image", image_,
               "--state-dir", dir_.file("state"), "--host-cpus", "4-7"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "vtpsctl: host-cpus: vtps-2 needs 4 host CPUs, 0 are left of 4\n");

  r = vtpsctl({"--connect", "test:///default", "status", "--name", "test"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("test                     running"), std::string::npos) << r.out;
  r = vtpsctl({"--connect", "test:///default", "status", "--name", "vtps"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "vtpsctl: status: no instance of \"vtps\" on test:///default\n");
  r = vtpsctl({"--connect", "test:///default", "stop", "--name", "test", "--force"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "stopped test\n");
  r = vtpsctl({"--connect", "nosuch:///x", "start", "--name", "vtps"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("vtpsctl: connect to nosuch:///x: ", 0), 0u) << r.err;
}

}  // namespace
}  // namespace vtps::hypervisor
