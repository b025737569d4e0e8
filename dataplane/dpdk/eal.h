// The process's DPDK Environment Abstraction Layer. EAL can be initialised once per process and
// not again after rte_eal_cleanup, so this is a process-wide, init-once facility.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/result.h"

namespace vtps::dpdk {

// Initialises EAL with `args` (program name first). Pins the calling thread to the main lcore's
// CPUs. Errors: EAL already initialised in this process; EAL refused the arguments (rte_errno
// text and the arguments are in the message).
Status initEal(const std::vector<std::string>& args);
bool ealInitialised();

// The ethdev port of `name` ("net_af_packet0", "0000:00:04.0"). Error when EAL has no such port.
Result<uint16_t> portIdByName(const std::string& name);

// The EAL lcore ids of the worker lcores, in order (main lcore excluded).
std::vector<unsigned> workerLcores();

}  // namespace vtps::dpdk
