// AES-GCM throughput per core, the vtps-ipsecmb provider beside OpenSSL's default provider, side
// by side in one run on one pinned core (issue 9). Records of 64 B, 1,400 B and 16 KiB, through
// the two interfaces libssl uses:
//   evp    - the TLS 1.3 record path: set the per-record IV, 5 bytes of AAD by update, data by
//            update, final, then get (seal) or set (open) the tag;
//   tls1.2 - the TLS 1.2 record path: TLS1 AAD control, then EVP_Cipher in place over explicit
//            nonce | payload | tag (seal only: opening in place destroys the record, and copying
//            it back each time would dominate small records).
// Throughput is payload MiB per CPU-second of the timed thread (CLOCK_THREAD_CPUTIME_ID), so that
// other load on the machine inflates neither side; each cell is the median of R interleaved
// rounds. Not a ctest test: wall-clock numbers never gate CI (STYLE.md 14).
//
// Usage: aead_bench [--rounds R] [--min-ms M] [--cpu C]
//   R: rounds per cell (default 7), M: minimum CPU milliseconds per round (default 60),
//   C: CPU to pin to (default: the last CPU this process may use)
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "crypto/accel/ipsecmb_provider.h"
#include "crypto/ossl.h"

namespace vtps::accel {
namespace {

struct Args {
  int rounds = 7;
  int min_ms = 60;
  int cpu = -1;
};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "aead_bench: %s\n", message.c_str());
  std::exit(1);
}

Args parseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) die("missing value after " + flag);
    const int value = std::atoi(argv[++i]);
    if (flag == "--rounds" && value > 0) {
      args.rounds = value;
    } else if (flag == "--min-ms" && value > 0) {
      args.min_ms = value;
    } else if (flag == "--cpu" && value >= 0) {
      args.cpu = value;
    } else {
      die("usage: aead_bench [--rounds R] [--min-ms M] [--cpu C]");
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
      if (CPU_ISSET(c, &allowed)) cpu = c;  // the last allowed CPU
    }
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof(one), &one) != 0) die("cannot pin to CPU " + std::to_string(cpu));
  return cpu;
}

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// One record operation on a prepared context; returns false on any EVP failure.
using RecordOp = std::function<bool()>;

struct Cell {
  const char* path;
  const char* op;
  size_t size;
};

class Workload {
 public:
  Workload(const EVP_CIPHER* cipher, const Cell& cell) : cell_(cell) {
    key_.resize(static_cast<size_t>(EVP_CIPHER_get_key_length(cipher)));
    in_.resize(cell.size + 8 + 16);
    out_.resize(in_.size());
    RAND_bytes(key_.data(), static_cast<int>(key_.size()));
    RAND_bytes(in_.data(), static_cast<int>(in_.size()));
    RAND_bytes(iv_, sizeof(iv_));
    const bool seal = std::string(cell.op) == "seal";
    ctx_.reset(EVP_CIPHER_CTX_new());
    if (EVP_CipherInit_ex(ctx_.get(), cipher, nullptr, key_.data(), nullptr, seal ? 1 : 0) != 1) {
      die("cipher init failed");
    }
    if (std::string(cell.path) == "tls1.2") {
      unsigned char fixed[4] = {1, 2, 3, 4};
      EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_GCM_SET_IV_FIXED, 4, fixed);
    } else if (!seal) {
      prepareOpen(cipher);
    }
  }

  bool run() {
    if (std::string(cell_.path) == "tls1.2") return sealTls12();
    return std::string(cell_.op) == "seal" ? sealEvp() : openEvp();
  }

 private:
  // A valid ciphertext and tag for the fixed IV and AAD, so that every open verifies.
  void prepareOpen(const EVP_CIPHER* cipher) {
    ossl::EvpCipherCtxPtr enc(EVP_CIPHER_CTX_new());
    int len = 0;
    std::vector<unsigned char> ct(cell_.size);
    if (EVP_EncryptInit_ex(enc.get(), cipher, nullptr, key_.data(), iv_) != 1 ||
        EVP_EncryptUpdate(enc.get(), nullptr, &len, aad_, sizeof(aad_)) != 1 ||
        EVP_EncryptUpdate(enc.get(), ct.data(), &len, in_.data(), static_cast<int>(cell_.size)) !=
            1 ||
        EVP_EncryptFinal_ex(enc.get(), nullptr, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(enc.get(), EVP_CTRL_AEAD_GET_TAG, 16, tag_) != 1) {
      die("preparing the ciphertext failed");
    }
    std::copy(ct.begin(), ct.end(), in_.begin());
  }

  bool sealEvp() {
    int len = 0;
    return EVP_CipherInit_ex(ctx_.get(), nullptr, nullptr, nullptr, iv_, 1) == 1 &&
           EVP_EncryptUpdate(ctx_.get(), nullptr, &len, aad_, sizeof(aad_)) == 1 &&
           EVP_EncryptUpdate(ctx_.get(), out_.data(), &len, in_.data(),
                             static_cast<int>(cell_.size)) == 1 &&
           EVP_EncryptFinal_ex(ctx_.get(), out_.data() + len, &len) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_AEAD_GET_TAG, 16, tag_) == 1;
  }

  bool openEvp() {
    int len = 0;
    return EVP_CipherInit_ex(ctx_.get(), nullptr, nullptr, nullptr, iv_, 0) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_AEAD_SET_TAG, 16, tag_) == 1 &&
           EVP_DecryptUpdate(ctx_.get(), nullptr, &len, aad_, sizeof(aad_)) == 1 &&
           EVP_DecryptUpdate(ctx_.get(), out_.data(), &len, in_.data(),
                             static_cast<int>(cell_.size)) == 1 &&
           EVP_DecryptFinal_ex(ctx_.get(), out_.data() + len, &len) == 1;
  }

  bool sealTls12() {
    unsigned char aad[13] = {0, 0, 0, 0, 0, 0, 0, 1, 23, 3, 3};
    aad[11] = static_cast<unsigned char>((cell_.size + 8) >> 8);
    aad[12] = static_cast<unsigned char>(cell_.size + 8);
    return EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_AEAD_TLS1_AAD, 13, aad) == 16 &&
           EVP_Cipher(ctx_.get(), out_.data(), out_.data(),
                      static_cast<unsigned>(cell_.size + 8 + 16)) > 0;
  }

  Cell cell_;
  ossl::EvpCipherCtxPtr ctx_;
  std::vector<unsigned char> key_, in_, out_;
  unsigned char iv_[12] = {};
  unsigned char aad_[5] = {23, 3, 3, 0, 0};
  unsigned char tag_[16] = {};
};

// Payload MiB per CPU-second for one round of at least `min_ms` CPU milliseconds.
double measure(Workload& w, size_t size, int min_ms) {
  for (int i = 0; i < 50; ++i) {
    if (!w.run()) die("record operation failed");
  }
  const double start = threadCpuSeconds();
  double elapsed = 0;
  uint64_t records = 0;
  while (elapsed < min_ms / 1000.0) {
    for (int i = 0; i < 64; ++i) {
      if (!w.run()) die("record operation failed");
    }
    records += 64;
    elapsed = threadCpuSeconds() - start;
  }
  return static_cast<double>(records * size) / (1024.0 * 1024.0) / elapsed;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void benchCipher(OSSL_LIB_CTX* libctx, const char* name, const Args& args) {
  ossl::EvpCipherPtr ours(EVP_CIPHER_fetch(libctx, name, "provider=vtps-ipsecmb"));
  ossl::EvpCipherPtr theirs(EVP_CIPHER_fetch(libctx, name, "provider=default"));
  if (!ours || !theirs) die(std::string("cannot fetch ") + name);
  const Cell cells[] = {
      {"evp", "seal", 64},    {"evp", "seal", 1400},    {"evp", "seal", 16384},
      {"evp", "open", 64},    {"evp", "open", 1400},    {"evp", "open", 16384},
      {"tls1.2", "seal", 64}, {"tls1.2", "seal", 1400}, {"tls1.2", "seal", 16384},
  };
  for (const Cell& cell : cells) {
    Workload a(theirs.get(), cell), b(ours.get(), cell);
    std::vector<double> openssl_runs, ipsecmb_runs;
    for (int r = 0; r < args.rounds; ++r) {  // interleaved, so drifting load hits both alike
      openssl_runs.push_back(measure(a, cell.size, args.min_ms));
      ipsecmb_runs.push_back(measure(b, cell.size, args.min_ms));
    }
    const double o = median(openssl_runs), i = median(ipsecmb_runs);
    std::printf("%-12s %-7s %-5s %6zu %10.0f %10.0f %7.2fx\n", name, cell.path, cell.op, cell.size,
                o, i, i / o);
  }
}

}  // namespace
}  // namespace vtps::accel

int main(int argc, char** argv) {
  using namespace vtps::accel;
  const Args args = parseArgs(argc, argv);
  const int cpu = pinToCpu(args.cpu);
  vtps::ossl::OsslLibCtxPtr libctx(OSSL_LIB_CTX_new());
  vtps::Status st = loadIpsecMbProvider(libctx.get());
  if (!st.ok()) die(st.message());
  vtps::Result<IpsecMbInfo> info = ipsecMbInfo();
  std::printf("AEAD throughput, payload MiB per CPU-second on CPU %d (median of %d rounds)\n", cpu,
              args.rounds);
  std::printf("OpenSSL %s default provider vs intel-ipsec-mb %s, arch %s%s\n", OPENSSL_VERSION_STR,
              info->libraryVersion.c_str(), info->arch.c_str(), info->vaes ? " (VAES)" : "");
  std::printf("%-12s %-7s %-5s %6s %10s %10s %8s\n", "cipher", "path", "op", "bytes", "openssl",
              "ipsec-mb", "ratio");
  benchCipher(libctx.get(), "AES-128-GCM", args);
  benchCipher(libctx.get(), "AES-256-GCM", args);
  unloadIpsecMbProvider(libctx.get());
  return 0;
}
