// Segment forwarding cost on one lcore (issue 8): vtps's SegmentForwarder (parse, symmetric flow
// hash, per-lcore flow table, per-burst counters; no rules) on two loopback net_ring ports with
// a fixed population of packets circulating between them, the same setup as dpdk-testpmd's io
// forwarding with --tx-first (run_dpdk_bench.sh runs both in one go).
//
//   dpdk_bench [--seconds S] [--flows N,M,...] [--cpus MAIN,WORKER] [--rules N,M,...]
//   dpdk_bench --write-flows-pcap FILE
//
// Prints one line per flow count: packets forwarded, cycles per packet (the forwarding lcore's
// on-CPU time over the run, idle polls included, in TSC cycles, divided by packets received)
// and Mpps of on-CPU time.
//
// --rules: then the filters (issue 8). Circulating packets cannot carry new TCP payload, so a
// net_pcap port replays a pcap of TCP flows forever (infinite_rx: from memory) into the segment,
// whose other port is net_null with no-rx (it frees what it is sent); each flow is a SYN, 62
// in-order data segments (an HTTP POST, 512 payload bytes each) and a RST, so every round
// opens new sessions and every data byte goes through the filters. One line for the segment
// without filters, then one per rule count (synthetic signature rules that never match:
// http.uri and stream contents, half each).
#include <rte_bus_vdev.h>
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
#include <string_view>
#include <thread>
#include <vector>

#include "dataplane/dpdk/eal.h"
#include "dataplane/dpdk/segment_forwarder.h"
#include "dataplane/filter/filter_inspector.h"

namespace {

using namespace vtps::dpdk;

constexpr int kInFlightPerPort = 32;  // testpmd --tx-first: one burst per port

struct Options {
  double seconds = 5;
  std::vector<int> flows = {1, 32, 1024};
  std::string cpus = "0,1";
  std::vector<int> rules;  // --rules: rule counts for the filter runs; empty: none
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
      {{"bench", {static_cast<uint16_t>(pa), static_cast<uint16_t>(pb)}, {}, {}, {}, ""}}, fo);
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

// --- the filter runs (--rules) ---

constexpr int kFilterFlows = 16;
constexpr int kDataSegments = 62;
constexpr std::size_t kSegmentBytes = 512;

void put16(std::vector<uint8_t>& f, uint16_t v) {
  f.push_back(static_cast<uint8_t>(v >> 8));
  f.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& f, uint32_t v) {
  put16(f, static_cast<uint16_t>(v >> 16));
  put16(f, static_cast<uint16_t>(v));
}

// An Ethernet/IPv4/TCP frame (checksums zero: nothing on this path reads them).
std::vector<uint8_t> tcpFrame(uint16_t sport, uint32_t seq, uint8_t flags, std::string_view data) {
  std::vector<uint8_t> f = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0};
  put16(f, static_cast<uint16_t>(40 + data.size()));
  f.insert(f.end(), {0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});
  put16(f, sport);
  put16(f, 80);
  put32(f, seq);
  put32(f, 1);
  f.insert(f.end(), {0x50, flags, 0xff, 0xff, 0, 0, 0, 0});
  f.insert(f.end(), data.begin(), data.end());
  return f;
}

// The replayed flows, as a pcap file at `path`; returns the number of packets.
int writeFlowsPcap(const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  auto le32 = [&](uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
  le32(0xa1b2c3d4);
  le32(0x00040002);  // version 2.4
  le32(0);
  le32(0);
  le32(65535);
  le32(1);
  int packets = 0;
  auto record = [&](const std::vector<uint8_t>& f) {
    le32(0);
    le32(static_cast<uint32_t>(packets++));
    le32(static_cast<uint32_t>(f.size()));
    le32(static_cast<uint32_t>(f.size()));
    out.write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size()));
  };
  std::string body(kSegmentBytes, ' ');
  for (std::size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  for (int flow = 0; flow < kFilterFlows; ++flow) {
    auto sport = static_cast<uint16_t>(20000 + flow);
    uint32_t seq = 1000;
    record(tcpFrame(sport, seq, 0x02, {}));
    ++seq;
    std::string head = "POST /upload/" + std::to_string(flow) +
                       " HTTP/1.1\r\nHost: bench.test\r\nContent-Length: " +
                       std::to_string(kSegmentBytes * kDataSegments) + "\r\n\r\n";
    for (int i = 0; i < kDataSegments; ++i) {
      std::string data = i == 0 ? head + body.substr(head.size()) : body;
      record(tcpFrame(sport, seq, 0x18, data));
      seq += static_cast<uint32_t>(data.size());
    }
    record(tcpFrame(sport, seq, 0x04, {}));
  }
  return packets;
}

// `count` signature rules that the replayed flows never match.
std::string writeRules(const std::string& dir, int count) {
  std::string path = dir + "/bench-" + std::to_string(count) + ".rules";
  std::ofstream out(path);
  for (int i = 0; i < count; ++i) {
    if (i % 2 == 0) {
      out << "alert http any any -> any any (msg:\"bench uri " << i
          << "\"; http.uri; content:\"/bench-uri-" << i << "/\"; sid:" << 100000 + i << ";)\n";
    } else {
      out << "alert tcp any any -> any any (msg:\"bench stream " << i
          << "\"; content:\"bench-stream-" << i << "-zq\"; sid:" << 100000 + i << ";)\n";
    }
  }
  return path;
}

// rules < 0: the segment without filters.
int runFilters(int rules, const Options& o, const std::string& dir, unsigned lcore) {
  static int run = 0;
  std::string pcap_port = "net_pcap_bench" + std::to_string(run);
  std::string null_port = "net_null_bench" + std::to_string(run);
  ++run;
  std::string args = "rx_pcap=" + dir + "/flows.pcap,infinite_rx=1";
  if (rte_vdev_init(pcap_port.c_str(), args.c_str()) != 0 ||
      rte_vdev_init(null_port.c_str(), "no-rx=1") != 0) {
    std::fprintf(stderr, "dpdk_bench: cannot create the net_pcap/net_null ports\n");
    return 1;
  }
  uint16_t pa = 0, pb = 0;
  rte_eth_dev_get_port_by_name(pcap_port.c_str(), &pa);
  rte_eth_dev_get_port_by_name(null_port.c_str(), &pb);
  ForwarderOptions fo;
  fo.lcores = {lcore};
  fo.busy_poll = true;
  if (rules >= 0) {
    vtps::filter::FilterSettings fs;
    if (rules > 0) fs.signatures.rules = writeRules(dir, rules);
    auto engine = vtps::filter::FilterEngine::create(fs, nullptr);
    if (!engine.ok()) {
      std::fprintf(stderr, "dpdk_bench: %s\n", engine.message().c_str());
      return 1;
    }
    fo.inspection.engine = *engine;
    fo.inspection.budget = 1.0;  // measure the filters, never fall back
  }
  auto fwd = SegmentForwarder::start({{"bench", {pa, pb}, {}, {}, {}, ""}}, fo);
  if (!fwd.ok()) {
    std::fprintf(stderr, "dpdk_bench: %s\n", fwd.message().c_str());
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // warm-up
  std::string comm = "rte-worker-" + std::to_string(lcore);
  uint64_t p0 = received((*fwd)->snapshot()), c0 = onCpuNs(comm);
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  ForwarderSnapshot end = (*fwd)->snapshot();
  uint64_t p1 = received(end), c1 = onCpuNs(comm);
  (*fwd)->stop();
  rte_vdev_uninit(pcap_port.c_str());
  rte_vdev_uninit(null_port.c_str());
  auto packets = static_cast<double>(p1 - p0);
  double hz = static_cast<double>(rte_get_tsc_hz());
  double cpu_s = static_cast<double>(c1 - c0) / 1e9;
  std::string what = rules < 0 ? std::string("no filters") : std::to_string(rules) + " rules";
  std::printf(
      "vtps segment with filters: %s packets=%.0f on-cpu=%.2fs cycles/packet=%.2f Mpps=%.2f "
      "flows_inspected=%llu flows_decided=%llu payload_bytes=%llu fallback=%llu\n",
      what.c_str(), packets, cpu_s, cpu_s * hz / packets, packets / cpu_s / 1e6,
      static_cast<unsigned long long>(end.lcores[0].inspection.flows_inspected),
      static_cast<unsigned long long>(end.lcores[0].inspection.flows_decided),
      static_cast<unsigned long long>(end.lcores[0].inspection.payload_bytes),
      static_cast<unsigned long long>(end.lcores[0].inspection.fallback_entries));
  return 0;
}

Options parseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--seconds") {
      o.seconds = std::stod(v);
    } else if (k == "--flows") {
      o.flows.clear();  // "" runs no forwarding measurement (only --rules)
      for (std::size_t pos = 0; !v.empty() && pos <= v.size();) {
        std::size_t comma = v.find(',', pos);
        o.flows.push_back(std::stoi(v.substr(pos, comma - pos)));
        pos = comma == std::string::npos ? v.size() + 1 : comma + 1;
      }
    } else if (k == "--cpus") {
      o.cpus = v;
    } else if (k == "--rules") {
      for (std::size_t pos = 0; pos <= v.size();) {
        std::size_t comma = v.find(',', pos);
        o.rules.push_back(std::stoi(v.substr(pos, comma - pos)));
        pos = comma == std::string::npos ? v.size() + 1 : comma + 1;
      }
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  // --write-flows-pcap FILE: only write the filter runs' pcap (for dpdk-testpmd on the same
  // ports, run_dpdk_bench.sh) and print its packet count.
  if (argc == 3 && std::string(argv[1]) == "--write-flows-pcap") {
    std::printf("%d\n", writeFlowsPcap(argv[2]));
    return 0;
  }
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
  if (!o.rules.empty()) {
    char dir[] = "/tmp/vtps-dpdk-bench-XXXXXX";
    if (mkdtemp(dir) == nullptr) return 1;
    int packets = writeFlowsPcap(std::string(dir) + "/flows.pcap");
    std::printf(
        "filter runs: %d flows x %d packets (SYN, %d data segments of %zu bytes, RST) "
        "replayed from memory by net_pcap into net_null\n",
        kFilterFlows, packets / kFilterFlows, kDataSegments, kSegmentBytes);
    rc |= runFilters(-1, o, dir, workerLcores().at(0));
    for (int rules : o.rules)
      rc |= runFilters(rules, o, dir, workerLcores().at(0));
    std::filesystem::remove_all(dir);
  }
  rte_mempool_free(pool);
  rte_eal_cleanup();
  return rc;
}
