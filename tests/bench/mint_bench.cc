// Leaf minting latency, side by side in one run on one pinned core:
//   cold cache + ECDSA P-256 key pool, cold cache + RSA-2048 key pool, warm cache (hit), and the
//   naive way (a new RSA-2048 key per certificate, as Squid's ssl_crtd does),
// each under an ECDSA P-256 and an RSA-2048 signing CA. Prints p50/p99 and ratios vs naive.
// Not a ctest test: wall-clock numbers never gate CI (STYLE.md 14).
//
// Usage: mint_bench [--iterations N] [--rsa-iterations M] [--cpu C]
//   N: samples for the ECDSA-pool and warm scenarios (default 2000)
//   M: samples for the RSA-pool and naive scenarios (default 200; each naive sample generates an
//      RSA key, and the pool is pre-filled with 2*M RSA keys before timing starts)
//   C: CPU to pin the timed thread to (default: the last CPU this process may use)
#include <openssl/opensslv.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "crypto/mint/key_pool.h"
#include "crypto/mint/leaf_minter.h"
#include "crypto/mint/mint_cache.h"
#include "crypto/mint/signing_ca.h"
#include "tests/crypto/mint/test_pki.h"

namespace vtps::mint {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kWarmup = 20;

struct Args {
  int iterations = 2000;
  int rsa_iterations = 200;
  int cpu = -1;
};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "mint_bench: %s\n", message.c_str());
  std::exit(1);
}

Args parseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) die("missing value after " + flag);
    const int value = std::atoi(argv[++i]);
    if (flag == "--iterations" && value > 0) {
      args.iterations = value;
    } else if (flag == "--rsa-iterations" && value > 0) {
      args.rsa_iterations = value;
    } else if (flag == "--cpu" && value >= 0) {
      args.cpu = value;
    } else {
      die("usage: mint_bench [--iterations N] [--rsa-iterations M] [--cpu C]");
    }
  }
  return args;
}

int pinToCpu(int requested) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) die("sched_getaffinity failed");
  int cpu = requested;
  if (cpu < 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &allowed)) cpu = c;
    }
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  // Pins the calling thread only; the key pool's refill thread keeps its own mask.
  if (sched_setaffinity(0, sizeof(one), &one) != 0) die("sched_setaffinity to CPU failed");
  return cpu;
}

// One timed call: wall-clock time, and the CPU time this thread spent (unlike wall-clock time,
// it does not grow when other processes share the core).
struct Sample {
  double wall_ms = 0;
  double cpu_ms = 0;
};

double threadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

template <typename Fn>
Sample timeIt(Fn&& fn) {
  const double cpu_start = threadCpuMs();
  const auto start = Clock::now();
  fn();
  const auto end = Clock::now();
  return {std::chrono::duration<double, std::milli>(end - start).count(),
          threadCpuMs() - cpu_start};
}

struct Percentiles {
  std::size_t samples = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double cpu_p50_ms = 0;
};

// Nearest-rank percentile of sorted values.
double rank(const std::vector<double>& sorted, double p) {
  const auto idx = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(idx, 1, sorted.size()) - 1];
}

Percentiles percentiles(const std::vector<Sample>& samples) {
  std::vector<double> wall;
  std::vector<double> cpu;
  for (const Sample& s : samples) {
    wall.push_back(s.wall_ms);
    cpu.push_back(s.cpu_ms);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {samples.size(), rank(wall, 0.50), rank(wall, 0.99), rank(cpu, 0.50)};
}

// Distinct upstream certificates (cold cache means a site not seen before), issued like a public
// CA would: EC P-256 keys, three names each.
std::vector<ossl::X509Ptr> makeUpstreams(int count) {
  const testpki::TestCa issuer = testpki::makeCa("Bench Public CA", testpki::KeyKind::kEcP256);
  std::vector<ossl::X509Ptr> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const std::string host = "host" + std::to_string(i) + ".example.com";
    testpki::CertSpec spec;
    spec.subject = {{"C", "US"}, {"O", "Example Corp"}, {"CN", host}};
    spec.dns = {host, "www." + host, "static.example.com"};
    spec.not_after_s = 90LL * 86400;
    ossl::EvpPkeyPtr key = testpki::newKey(testpki::KeyKind::kEcP256);
    out.push_back(testpki::issueCert(spec, key.get(), issuer.cert.get(), issuer.key.get()));
  }
  return out;
}

std::string sniOf(int i) {
  return "host" + std::to_string(i) + ".example.com";
}

struct Bench {
  const std::vector<ossl::X509Ptr>& upstreams;
  const LeafMinter& minter;

  std::unique_ptr<MintCache> newCache() const {
    Result<std::unique_ptr<MintCache>> cache =
        MintCache::create(minter, {.capacity = upstreams.size() + 1024, .shards = 16});
    if (!cache.ok()) die(cache.message());
    return std::move(cache).value();
  }

  void getOrDie(MintCache& cache, int i, LeafKeyType type, const SigningCa& ca) const {
    Result<std::shared_ptr<const MintedLeaf>> leaf =
        cache.getOrMint(upstreams[static_cast<std::size_t>(i)].get(), sniOf(i), type, ca);
    if (!leaf.ok()) die(leaf.message());
  }

  // Cache misses: every sample is a site the cache has not seen.
  Percentiles cold(LeafKeyType type, const SigningCa& ca, int n) const {
    auto cache = newCache();
    for (int i = 0; i < kWarmup; ++i)
      getOrDie(*cache, n + i, type, ca);
    std::vector<Sample> samples;
    for (int i = 0; i < n; ++i)
      samples.push_back(timeIt([&] { getOrDie(*cache, i, type, ca); }));
    return percentiles(samples);
  }

  // Cache hits: the same n sites again.
  Percentiles warm(const SigningCa& ca, int n) const {
    auto cache = newCache();
    for (int i = 0; i < n; ++i)
      getOrDie(*cache, i, LeafKeyType::kEcdsaP256, ca);
    std::vector<Sample> samples;
    for (int i = 0; i < n; ++i) {
      samples.push_back(timeIt([&] { getOrDie(*cache, i, LeafKeyType::kEcdsaP256, ca); }));
    }
    if (cache->stats().hits != static_cast<std::uint64_t>(n)) die("warm run missed the cache");
    return percentiles(samples);
  }

  // Squid's way: a fresh RSA-2048 key for every certificate, no pool, no cache.
  Percentiles naive(const SigningCa& ca, int n) const {
    std::vector<Sample> samples;
    for (int i = -kWarmup / 4; i < n; ++i) {
      const int site = std::max(i, 0);
      const Sample t = timeIt([&] {
        Result<LeafKey> key = generateLeafKey(LeafKeyType::kRsa2048);
        if (!key.ok()) die(key.message());
        Result<MintedLeaf> leaf = mintLeafWithKey(upstreams[static_cast<std::size_t>(site)].get(),
                                                  sniOf(site), std::move(key).value(), ca);
        if (!leaf.ok()) die(leaf.message());
      });
      if (i >= 0) samples.push_back(t);
    }
    return percentiles(samples);
  }
};

Percentiles keyGeneration(LeafKeyType type, int n) {
  std::vector<Sample> samples;
  for (int i = 0; i < n; ++i) {
    samples.push_back(timeIt([&] {
      if (!generateLeafKey(type).ok()) die("key generation failed");
    }));
  }
  return percentiles(samples);
}

void printRow(const char* ca, const char* scenario, const Percentiles& p,
              const Percentiles& naive) {
  std::printf("| %-10s | %-33s | %7zu | %8.3f | %8.3f | %11.3f | %11.1fx | %11.1fx |\n", ca,
              scenario, p.samples, p.p50_ms, p.p99_ms, p.cpu_p50_ms, naive.p50_ms / p.p50_ms,
              naive.p99_ms / p.p99_ms);
}

double loadAverage() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : -1;
}

void printHeader(int cpu) {
  std::printf(
      "Leaf minting latency: one thread pinned to CPU %d of %ld online; %s; load average "
      "%.2f at start\n\n",
      cpu, sysconf(_SC_NPROCESSORS_ONLN), OPENSSL_VERSION_TEXT, loadAverage());
  std::printf("| %-10s | %-33s | %7s | %8s | %8s | %11s | %12s | %12s |\n", "signing CA",
              "scenario", "samples", "p50 ms", "p99 ms", "CPU p50 ms", "p50 vs naive",
              "p99 vs naive");
  std::printf(
      "|------------|-----------------------------------|---------|----------|----------|"
      "-------------|--------------|--------------|\n");
}

// The four scenarios under one signing CA; returns the cold ECDSA-pool result (the goal's).
Percentiles runScenarios(const Bench& bench, const char* label, const SigningCa& ca, int n, int m) {
  const Percentiles naive = bench.naive(ca, m);
  const Percentiles cold_ec = bench.cold(LeafKeyType::kEcdsaP256, ca, n);
  const Percentiles cold_rsa = bench.cold(LeafKeyType::kRsa2048, ca, m);
  const Percentiles warm = bench.warm(ca, n);
  printRow(label, "cold cache, ECDSA P-256 key pool", cold_ec, naive);
  printRow(label, "cold cache, RSA-2048 key pool", cold_rsa, naive);
  printRow(label, "warm cache (hit)", warm, naive);
  printRow(label, "naive: new RSA-2048 key per cert", naive, naive);
  return cold_ec;
}

void printFooter(const KeyPool& pool, int ec_keys, int rsa_keys,
                 const std::vector<std::pair<const char*, Percentiles>>& goal) {
  const Percentiles gen_ec = keyGeneration(LeafKeyType::kEcdsaP256, ec_keys);
  const Percentiles gen_rsa = keyGeneration(LeafKeyType::kRsa2048, rsa_keys);
  std::printf(
      "\nKey generation + SubjectPublicKeyInfo encoding, done by the pool's refill thread "
      "off the mint path (p50 wall / CPU): ECDSA P-256 %.3f / %.3f ms, RSA-2048 %.1f / "
      "%.1f ms.\n",
      gen_ec.p50_ms, gen_ec.cpu_p50_ms, gen_rsa.p50_ms, gen_rsa.cpu_p50_ms);
  std::printf(
      "Pool inline fallbacks during the run: ECDSA %llu, RSA %llu (0: every timed mint "
      "used a pre-generated key).\n",
      static_cast<unsigned long long>(pool.stats(LeafKeyType::kEcdsaP256).inline_fallbacks),
      static_cast<unsigned long long>(pool.stats(LeafKeyType::kRsa2048).inline_fallbacks));
  std::printf("Load average at end: %.2f\n", loadAverage());
  for (const auto& [label, p] : goal) {
    std::printf(
        "Goal: cold-cache p50 <= 0.200 ms with the ECDSA pool; %s signing CA: %.3f ms "
        "(CPU %.3f ms): %s\n",
        label, p.p50_ms, p.cpu_p50_ms, p.p50_ms <= 0.2 ? "met" : "not met");
  }
}

std::shared_ptr<const SigningCa> benchCa(const char* name, testpki::KeyKind kind,
                                         testpki::TestCa& holder) {
  holder = testpki::makeCa(std::string("Bench Signing CA ") + name, kind);
  Result<std::shared_ptr<const SigningCa>> ca =
      SigningCa::create(name, holder.cert.get(), holder.key.get());
  if (!ca.ok()) die(ca.message());
  return *ca;
}

int run(const Args& args) {
  const int n = args.iterations;
  const int m = args.rsa_iterations;
  const int sites = std::max(n, m) + kWarmup;
  std::fprintf(stderr, "mint_bench: building %d upstream certificates...\n", sites);
  const std::vector<ossl::X509Ptr> upstreams = makeUpstreams(sites);
  testpki::TestCa ec_holder;
  testpki::TestCa rsa_holder;
  const auto ec_ca = benchCa("ecdsa-p256", testpki::KeyKind::kEcP256, ec_holder);
  const auto rsa_ca = benchCa("rsa-2048", testpki::KeyKind::kRsa2048, rsa_holder);

  // Enough keys for every timed mint of both CAs, so the timed runs never wait for generation and
  // never drop below the low watermark (the refill thread stays idle while timing).
  KeyPoolOptions options;
  // Per CA: cold ECDSA run (n + warm-up) and populating the warm cache (n).
  options.ecdsa_p256 = {.low = 1, .high = static_cast<std::size_t>(2 * (2 * n + kWarmup) + 2)};
  options.rsa_2048 = {.low = 1, .high = static_cast<std::size_t>(2 * (m + kWarmup) + 2)};
  Result<std::unique_ptr<KeyPool>> pool = KeyPool::create(options);
  if (!pool.ok()) die(pool.message());
  std::fprintf(stderr, "mint_bench: filling the key pool (%zu ECDSA, %zu RSA keys)...\n",
               options.ecdsa_p256.high, options.rsa_2048.high);
  if (!(*pool)->waitUntilFull(std::chrono::minutes(30))) die("key pool did not fill");

  const int cpu = pinToCpu(args.cpu);
  const LeafMinter minter(**pool);
  const Bench bench{upstreams, minter};
  printHeader(cpu);
  std::vector<std::pair<const char*, Percentiles>> goal;
  for (const auto& [label, ca] : {std::pair{"ecdsa-p256", ec_ca}, std::pair{"rsa-2048", rsa_ca}}) {
    std::fprintf(stderr, "mint_bench: %s signing CA...\n", label);
    goal.emplace_back(label, runScenarios(bench, label, *ca, n, m));
  }
  printFooter(**pool, n, std::min(m, 50), goal);
  return 0;
}

}  // namespace
}  // namespace vtps::mint

int main(int argc, char** argv) {
  return vtps::mint::run(vtps::mint::parseArgs(argc, argv));
}
