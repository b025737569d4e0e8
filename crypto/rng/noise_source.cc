#include "crypto/rng/noise_source.h"

#include <fmt/format.h>
#include <immintrin.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>

namespace vtps::rng {
namespace {

// The target attributes let this file build without -mrdseed/-mrdrnd; the instructions are only
// executed after CPUID said they exist.
__attribute__((target("rdseed"))) bool rdseedStep(uint64_t& out) {
  unsigned long long v = 0;
  if (_rdseed64_step(&v) == 0) return false;
  out = v;
  return true;
}

__attribute__((target("rdrnd"))) bool rdrandStep(uint64_t& out) {
  unsigned long long v = 0;
  if (_rdrand64_step(&v) == 0) return false;
  out = v;
  return true;
}

}  // namespace

std::unique_ptr<CpuNoiseSource> CpuNoiseSource::create(bool has_rdseed, bool has_rdrand) {
  if (!has_rdseed && !has_rdrand) return nullptr;
  return std::unique_ptr<CpuNoiseSource>(new CpuNoiseSource(has_rdseed, has_rdrand));
}

std::string_view CpuNoiseSource::name() const {
  if (rdseed_ && rdrand_) return "rdseed+rdrand";
  return rdseed_ ? "rdseed" : "rdrand";
}

bool CpuNoiseSource::nextWord(uint64_t& word) {
  if (rdseed_) {
    for (int i = 0; i < kRdseedRetries; ++i) {
      if (rdseedStep(word)) {
        ++counters_.rdseedWords;
        return true;
      }
      _mm_pause();
    }
  }
  if (rdrand_) {
    for (int i = 0; i < kRdrandRetries; ++i) {
      if (rdrandStep(word)) {
        ++counters_.rdrandWords;
        return true;
      }
    }
  }
  return false;
}

bool CpuNoiseSource::fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    uint64_t word = 0;
    if (!nextWord(word)) {
      ++counters_.exhausted;
      return false;
    }
    size_t n = std::min(sizeof(word), out.size() - done);
    std::memcpy(out.data() + done, &word, n);
    done += n;
  }
  return true;
}

Status fillFromOs(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return makeError(fmt::format("read {} bytes of entropy from getrandom: {}", out.size(),
                                   std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return Status::success();
}

}  // namespace vtps::rng
