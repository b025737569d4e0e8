// The two continuous health tests of NIST SP 800-90B section 4.4, in their simple form, applied to
// the hardware source's output byte by byte before it is mixed into a seed. They catch a source
// that is stuck (the same value over and over, as some CPUs' RDRAND did after suspend) or badly
// biased, not subtle weaknesses; the seed never rests on the hardware alone (see
// MixedEntropySource), so a missed weakness costs defence in depth, not security.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace vtps::rng {

class ContinuousHealthTest {
 public:
  // Assessed min-entropy per byte sample. RDSEED claims 8; 4 is deliberately conservative so that
  // the cutoffs stay meaningful for RDRAND and for a partly degraded source.
  static constexpr unsigned kAssessedEntropyBits = 4;
  // Repetition count test (4.4.1): C = 1 + ceil(20 / H) for a false-alarm rate of 2^-20.
  static constexpr unsigned kRepetitionCutoff =
      1 + (20 + kAssessedEntropyBits - 1) / kAssessedEntropyBits;
  // Adaptive proportion test (4.4.2): window 512 for non-binary samples and
  // C = 1 + CRITBINOM(512, 2^-H, 1 - 2^-20), which is 62 for H = 4 (SP 800-90B table 2).
  static constexpr unsigned kAdaptiveWindow = 512;
  static constexpr unsigned kAdaptiveCutoff = 62;

  enum class Result { kPass, kRepetitionCount, kAdaptiveProportion };

  // Feeds samples in order; state carries across calls. Returns the first failure seen (the rest
  // of `samples` is not examined) or kPass.
  Result feed(std::span<const uint8_t> samples);

  // Restarts both tests (e.g. after switching sources).
  void reset();

 private:
  // Repetition count state.
  bool have_last_ = false;
  uint8_t last_ = 0;
  unsigned repeats_ = 0;
  // Adaptive proportion state.
  unsigned window_pos_ = 0;
  uint8_t window_ref_ = 0;
  unsigned window_count_ = 0;
};

std::string_view healthTestName(ContinuousHealthTest::Result result);

}  // namespace vtps::rng
