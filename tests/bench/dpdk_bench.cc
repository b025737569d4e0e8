// Segment forwarding cost on one lcore (issue 8): vtps's SegmentForwarder (parse, symmetric flow
// hash, per-lcore flow table, per-burst counters; no rules) on two loopback net_ring ports with
// a fixed population of packets circulating between them, the same setup as dpdk-testpmd's io
// forwarding with --tx-first (run_dpdk_bench.sh runs both in one go).
//
//   dpdk_bench [--seconds S] [--flows N,M,...] [--cpus MAIN,WORKER]
//
// Prints one line per flow count: packets forwarded, cycles per packet (the forwarding lcore's
// on-CPU time over the run, idle polls included, in TSC cycles, divided by packets received)
// and Mpps of on-CPU time.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/dpdk/eal.h"
#include "dataplane/dpdk/segment_forwarder.h"

namespace {

using namespace vtps::dpdk;

constexpr int kInFlightPerPort = 32;  // testpmd --tx-first: one burst per port

struct Options {
  double seconds = 5;
  std::vector<int> flows = {1, 32, 1024};
  std::string cpus = "0,1";
};

// A 64-byte Ethernet/IPv4/UDP frame of flow `flow` (source port varies).
std::vector<uint8_t> frameOf(int flow) {
  std::vector<uint8_t> f(60, 0);
  const uint8_t head[] = {0x02, 0, 0, 0, 0, 2,  0x02, 0, 0, 0,  0, 1, 0x08, 0x00, 0x45, 0, 0,
                          46,   0, 1, 0, 0, 64, 17,   0, 0, 10, 0, 0, 1,    10,   0,    0, 2};
  std::memcpy(f.data(), head, sizeof(head));
  auto sport = static_cast<uint16_t>(1024 + flow);
  f[34] = static_cast<uint8_t>(sport >> 8);
  f[35] = static_cast<uint8_t>(sport);
  f[36] = 0x13;  // dport 5000
  f[37] = 0x88;
  f[38] = 0;
  f[39] = 26;
  return f;
}

bool inject(uint16_t port, rte_mempool* pool, int flows, int first) {
  rte_mbuf* pkts[kInFlightPerPort];
  for (int i = 0; i < kInFlightPerPort; ++i) {
    pkts[i] = rte_pktmbuf_alloc(pool);
    if (pkts[i] == nullptr) return false;
    std::vector<uint8_t> f = frameOf((first + i) % flows);
    std::memcpy(rte_pktmbuf_append(pkts[i], static_cast<uint16_t>(f.size())), f.data(), f.size());
  }
  return rte_eth_tx_burst(port, 0, pkts, kInFlightPerPort) == kInFlightPerPort;
}

// Nanoseconds the thread named `comm` (EAL names worker lcores "rte-worker-N") has run on a
// CPU, from /proc/self/task/*/schedstat: on a shared machine wall time would count the time the
// lcore waited for its CPU.
uint64_t onCpuNs(const std::string& comm) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream c(task.path() / "comm");
    std::string name;
    std::getline(c, name);
    if (name != comm) continue;
    std::ifstream st(task.path() / "schedstat");
    uint64_t ns = 0;
    st >> ns;
    return ns;
  }
  return 0;
}

uint64_t received(const ForwarderSnapshot& s) {
  uint64_t n = 0;
  for (const LcoreCounters& l : s.lcores) {
    for (const PathCounters& p : l.paths)
      n += p.rx_packets;
  }
  return n;
}

int runOne(int flows, const Options& o, rte_mempool* pool, unsigned lcore) {
  static int run = 0;
  std::string a = "bench" + std::to_string(run) + "a", b = "bench" + std::to_string(run) + "b";
  ++run;
  rte_ring* ra = rte_ring_create(a.c_str(), 1024, SOCKET_ID_ANY, 0);
  rte_ring* rb = rte_ring_create(b.c_str(), 1024, SOCKET_ID_ANY, 0);
  int pa = ra ? rte_eth_from_ring(ra) : -1;
  int pb = rb ? rte_eth_from_ring(rb) : -1;
  if (pa < 0 || pb < 0) {
    std::fprintf(stderr, "dpdk_bench: cannot create net_ring ports\n");
    return 1;
  }
  ForwarderOptions fo;
  fo.lcores = {lcore};
  fo.busy_poll = true;
  auto fwd = SegmentForwarder::start(
      {{"bench", {static_cast<uint16_t>(pa), static_cast<uint16_t>(pb)}, {}, {}, {}}}, fo);
  if (!fwd.ok()) {
    std::fprintf(stderr, "dpdk_bench: %s\n", fwd.message().c_str());
    return 1;
  }
  if (!inject(static_cast<uint16_t>(pa), pool, flows, 0) ||
      !inject(static_cast<uint16_t>(pb), pool, flows, kInFlightPerPort)) {
    std::fprintf(stderr, "dpdk_bench: cannot inject packets\n");
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // warm-up
  std::string comm = "rte-worker-" + std::to_string(lcore);
  uint64_t p0 = received((*fwd)->snapshot()), c0 = onCpuNs(comm), t0 = rte_rdtsc();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  uint64_t p1 = received((*fwd)->snapshot()), c1 = onCpuNs(comm), t1 = rte_rdtsc();
  (*fwd)->stop();
  auto packets = static_cast<double>(p1 - p0);
  double hz = static_cast<double>(rte_get_tsc_hz());
  double cpu_s = static_cast<double>(c1 - c0) / 1e9;
  double wall_s = static_cast<double>(t1 - t0) / hz;
  std::printf(
      "vtps segment forwarding: flows=%d packets=%.0f on-cpu=%.2fs of %.2fs "
      "cycles/packet=%.2f Mpps=%.2f\n",
      flows, packets, cpu_s, wall_s, cpu_s * hz / packets, packets / cpu_s / 1e6);
  for (rte_ring* r : {ra, rb}) {
    void* m = nullptr;
    while (rte_ring_dequeue(r, &m) == 0)
      rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    rte_ring_free(r);
  }
  return 0;
}

Options parseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--seconds") {
      o.seconds = std::stod(v);
    } else if (k == "--flows") {
      o.flows.clear();
      for (std::size_t pos = 0; pos <= v.size();) {
        std::size_t comma = v.find(',', pos);
        o.flows.push_back(std::stoi(v.substr(pos, comma - pos)));
        pos = comma == std::string::npos ? v.size() + 1 : comma + 1;
      }
    } else if (k == "--cpus") {
      o.cpus = v;
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parseArgs(argc, argv);
  std::string main_cpu = o.cpus.substr(0, o.cpus.find(','));
  std::string worker_cpu = o.cpus.substr(o.cpus.find(',') + 1);
  vtps::Status st =
      initEal({"dpdk_bench", "--lcores", "0@" + main_cpu + ",1@" + worker_cpu, "--no-huge", "-m",
               "512", "--no-shconf", "--no-pci", "--no-telemetry", "--log-level", "lib.eal:error"});
  if (!st.ok()) {
    std::fprintf(stderr, "dpdk_bench: %s\n", st.message().c_str());
    return 1;
  }
  rte_mempool* pool =
      rte_pktmbuf_pool_create("bench_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (pool == nullptr) return 1;
  int rc = 0;
  for (int flows : o.flows)
    rc |= runOne(flows, o, pool, workerLcores().at(0));
  rte_mempool_free(pool);
  rte_eal_cleanup();
  return rc;
}
