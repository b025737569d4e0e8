#include "dataplane/dpdk/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <atomic>

namespace vtps::dpdk {
namespace {

std::atomic<bool> g_initialised{false};

std::string joined(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& a : args)
    out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

Status initEal(const std::vector<std::string>& args) {
  if (g_initialised.exchange(true)) {
    return Error{
        "initialise DPDK EAL: already initialised in this process (restart to change "
        "the dataplane's cores or ports)"};
  }
  // rte_eal_init may permute argv; it keeps pointers into it only during the call.
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (std::string& a : copy)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(copy.size()), argv.data()) < 0) {
    return Error{"initialise DPDK EAL (" + joined(args) + "): " + rte_strerror(rte_errno)};
  }
  return Status::success();
}

bool ealInitialised() {
  return g_initialised.load();
}

Result<uint16_t> portIdByName(const std::string& name) {
  uint16_t id = 0;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) {
    return Error{"find DPDK port \"" + name + "\": EAL has no such port (" +
                 std::to_string(rte_eth_dev_count_avail()) + " ports probed)"};
  }
  return id;
}

std::vector<unsigned> workerLcores() {
  std::vector<unsigned> out;
  unsigned lcore = 0;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    out.push_back(lcore);
  }
  return out;
}

}  // namespace vtps::dpdk
