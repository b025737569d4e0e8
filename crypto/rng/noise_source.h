// Sources of raw entropy for the seed source: the CPU's RDSEED/RDRAND and the kernel's getrandom.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "crypto/result.h"

namespace vtps::rng {

// A hardware noise source. fill() either fills all of `out` or returns false (the source ran dry
// after its retries); it never blocks for long.
class NoiseSource {
 public:
  virtual ~NoiseSource() = default;
  virtual bool fill(std::span<uint8_t> out) = 0;
  // Short name for logs and status ("rdseed", "rdrand", ...).
  virtual std::string_view name() const = 0;
};

// RDSEED (a conditioned, full-entropy source) word by word, with RDRAND as the fallback for a word
// when RDSEED keeps returning "not ready" (it does under contention; RDRAND, a DRBG reseeded from
// the same hardware, rarely does). Not thread-safe (its counters): MixedEntropySource serialises
// the calls.
class CpuNoiseSource final : public NoiseSource {
 public:
  // Retries per 64-bit word before giving up on an instruction. RDSEED underflows under load, so
  // it gets more attempts (with a pause between them); Intel's guide suggests 10 for RDRAND.
  static constexpr int kRdseedRetries = 64;
  static constexpr int kRdrandRetries = 10;

  struct Counters {
    uint64_t rdseedWords = 0;
    uint64_t rdrandWords = 0;  // words RDRAND supplied because RDSEED was absent or empty
    uint64_t exhausted = 0;    // fill() calls that failed: both instructions ran dry
  };

  // Null when the CPU has neither instruction.
  static std::unique_ptr<CpuNoiseSource> create(bool has_rdseed, bool has_rdrand);

  bool fill(std::span<uint8_t> out) override;
  std::string_view name() const override;
  Counters counters() const { return counters_; }

 private:
  CpuNoiseSource(bool has_rdseed, bool has_rdrand) : rdseed_(has_rdseed), rdrand_(has_rdrand) {}
  bool nextWord(uint64_t& word);

  bool rdseed_;
  bool rdrand_;
  Counters counters_;
};

// Fills `out` from getrandom(2) (blocking only until the kernel pool is initialised at boot).
// Errors name the syscall and errno.
Status fillFromOs(std::span<uint8_t> out);

}  // namespace vtps::rng
