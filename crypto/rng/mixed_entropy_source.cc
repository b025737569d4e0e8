#include "crypto/rng/mixed_entropy_source.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <array>

namespace vtps::rng {

MixedEntropySource::MixedEntropySource(std::unique_ptr<NoiseSource> hardware)
    : hardware_(std::move(hardware)) {
  status_.hardwareSource = hardware_ ? std::string(hardware_->name()) : "none";
  status_.hardwareInUse = hardware_ != nullptr;
}

std::string MixedEntropySource::mixHardware(std::span<uint8_t> out) {
  std::array<uint8_t, 256> noise{};
  for (size_t done = 0; done < out.size();) {
    auto chunk = std::span(noise).first(std::min(noise.size(), out.size() - done));
    if (!hardware_->fill(chunk)) {
      ++status_.hardwareExhausted;
      OPENSSL_cleanse(noise.data(), noise.size());
      return fmt::format(
          "entropy: {} returned no data after retries; this seed comes from "
          "getrandom only",
          hardware_->name());
    }
    ContinuousHealthTest::Result r = health_.feed(chunk);
    if (r != ContinuousHealthTest::Result::kPass) {
      ++status_.healthFailures;
      status_.hardwareInUse = false;
      OPENSSL_cleanse(noise.data(), noise.size());
      return fmt::format(
          "entropy: {} failed the SP 800-90B {}; hardware source disabled, seeding "
          "from getrandom only",
          hardware_->name(), healthTestName(r));
    }
    for (size_t i = 0; i < chunk.size(); ++i)
      out[done + i] ^= chunk[i];
    done += chunk.size();
  }
  OPENSSL_cleanse(noise.data(), noise.size());
  status_.hardwareBytes += out.size();
  return {};
}

Status MixedEntropySource::fill(std::span<uint8_t> out) {
  std::string event;
  EntropyEventHandler handler;
  {
    std::lock_guard lock(mu_);
    ++status_.requests;
    // The OS part is written first and stays in `out` whatever the hardware does: a hardware
    // failure half-way leaves getrandom XOR (partial, tested) noise, never less than getrandom.
    VTPS_RETURN_IF_ERROR(fillFromOs(out));
    if (status_.hardwareInUse) event = mixHardware(out);
    if (!status_.hardwareInUse || !event.empty()) ++status_.osOnlyRequests;
    status_.bytes += out.size();
    if (!event.empty()) {
      status_.lastEvent = event;
      handler = handler_;
    }
  }
  if (handler) handler(event);
  return Status::success();
}

SeedSourceStatus MixedEntropySource::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void MixedEntropySource::setEventHandler(EntropyEventHandler handler) {
  std::lock_guard lock(mu_);
  handler_ = std::move(handler);
}

}  // namespace vtps::rng
