// Seed material = getrandom() XOR hardware noise (RDSEED/RDRAND) that passed the continuous
// health tests. XOR of independent inputs is at least as unpredictable as the better one, so the
// seed never depends on the CPU alone; once the hardware fails a health test it is dropped for
// good (latched) and seeds come from the operating system only, which is counted and reported.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "crypto/result.h"
#include "crypto/rng/continuous_health_test.h"
#include "crypto/rng/noise_source.h"

namespace vtps::rng {

// Counters and state for `vtpsctl show crypto` and telemetry.
struct SeedSourceStatus {
  std::string hardwareSource;   // NoiseSource::name(), or "none" when the CPU has neither
  bool hardwareInUse = false;   // false when absent or dropped after a health-test failure
  uint64_t requests = 0;        // fill() calls
  uint64_t bytes = 0;           // bytes returned
  uint64_t hardwareBytes = 0;   // of which mixed with hardware noise
  uint64_t osOnlyRequests = 0;  // requests served by getrandom alone (no, exhausted or failed hw)
  uint64_t healthFailures = 0;  // health-test failures (at most 1: the source is then dropped)
  uint64_t hardwareExhausted = 0;  // requests where the hardware ran dry after its retries
  std::string lastEvent;           // the last message passed to the event handler
};

// Receives one line per notable event (health-test failure, hardware exhausted). Called without
// internal locks held, from whichever thread requested entropy.
using EntropyEventHandler = std::function<void(const std::string& message)>;

class MixedEntropySource {
 public:
  // `hardware` may be null (the CPU has no RDSEED/RDRAND): seeds then come from getrandom alone.
  explicit MixedEntropySource(std::unique_ptr<NoiseSource> hardware);

  // Fills `out` completely. Thread-safe. Errors only when getrandom itself fails.
  Status fill(std::span<uint8_t> out);

  SeedSourceStatus status() const;
  void setEventHandler(EntropyEventHandler handler);

 private:
  // Mixes hardware noise into `out`; returns the event message when it could not.
  std::string mixHardware(std::span<uint8_t> out);

  mutable std::mutex mu_;
  std::unique_ptr<NoiseSource> hardware_;
  ContinuousHealthTest health_;
  SeedSourceStatus status_;
  EntropyEventHandler handler_;
};

}  // namespace vtps::rng
