#include "crypto/rng/continuous_health_test.h"

namespace vtps::rng {

ContinuousHealthTest::Result ContinuousHealthTest::feed(std::span<const uint8_t> samples) {
  for (uint8_t s : samples) {
    if (have_last_ && s == last_) {
      if (++repeats_ >= kRepetitionCutoff) return Result::kRepetitionCount;
    } else {
      have_last_ = true;
      last_ = s;
      repeats_ = 1;
    }

    if (window_pos_ == 0) {
      window_ref_ = s;
      window_count_ = 1;
    } else if (s == window_ref_) {
      if (++window_count_ >= kAdaptiveCutoff) return Result::kAdaptiveProportion;
    }
    if (++window_pos_ == kAdaptiveWindow) window_pos_ = 0;
  }
  return Result::kPass;
}

void ContinuousHealthTest::reset() {
  *this = ContinuousHealthTest{};
}

std::string_view healthTestName(ContinuousHealthTest::Result result) {
  switch (result) {
    case ContinuousHealthTest::Result::kPass:
      return "pass";
    case ContinuousHealthTest::Result::kRepetitionCount:
      return "repetition count test";
    case ContinuousHealthTest::Result::kAdaptiveProportion:
      return "adaptive proportion test";
  }
  return "unknown";
}

}  // namespace vtps::rng
