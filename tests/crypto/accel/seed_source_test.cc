// The entropy path: SP 800-90B health tests, the getrandom/hardware mix and its fallback, and the
// OpenSSL seed-source provider under a library context's primary DRBG.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cmath>
#include <vector>

#include "crypto/accel/cpu_features.h"
#include "crypto/ossl.h"
#include "crypto/rng/continuous_health_test.h"
#include "crypto/rng/cpu_seed_provider.h"
#include "crypto/rng/mixed_entropy_source.h"
#include "crypto/rng/noise_source.h"

namespace vtps::rng {
namespace {

using Health = ContinuousHealthTest::Result;

// 1 + CRITBINOM(n, p, 1 - alpha): the smallest count whose upper tail is at most alpha, plus one.
unsigned aptCutoff(unsigned n, double p, double alpha) {
  double cdf = 0;
  for (unsigned k = 0; k <= n; ++k) {
    cdf += std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) +
                    k * std::log(p) + (n - k) * std::log1p(-p));
    if (cdf >= 1 - alpha) return k + 1;
  }
  return n + 1;
}

TEST(ContinuousHealthTestTest, CutoffsFollowSp80090bFormulas) {
  const double h = ContinuousHealthTest::kAssessedEntropyBits;
  EXPECT_EQ(ContinuousHealthTest::kRepetitionCutoff, 1 + static_cast<unsigned>(std::ceil(20 / h)));
  EXPECT_EQ(ContinuousHealthTest::kAdaptiveCutoff,
            aptCutoff(ContinuousHealthTest::kAdaptiveWindow, std::pow(2, -h), std::pow(2, -20)));
}

TEST(ContinuousHealthTestTest, PassesOneMegabyteFromTheKernel) {
  std::vector<uint8_t> bytes(1 << 20);
  ASSERT_TRUE(fillFromOs(bytes).ok());
  ContinuousHealthTest t;
  EXPECT_EQ(t.feed(bytes), Health::kPass);
}

TEST(ContinuousHealthTestTest, RepetitionCountFailsAtTheCutoffNotBefore) {
  std::vector<uint8_t> five = {1, 2, 7, 7, 7, 7, 7, 3};
  ContinuousHealthTest ok;
  EXPECT_EQ(ok.feed(five), Health::kPass);

  std::vector<uint8_t> six = {1, 2, 7, 7, 7, 7, 7, 7};
  ContinuousHealthTest bad;
  EXPECT_EQ(bad.feed(six), Health::kRepetitionCount);
}

TEST(ContinuousHealthTestTest, RepetitionCountCarriesAcrossCalls) {
  ContinuousHealthTest t;
  EXPECT_EQ(t.feed(std::vector<uint8_t>{9, 9, 9}), Health::kPass);
  EXPECT_EQ(t.feed(std::vector<uint8_t>{9, 9, 9}), Health::kRepetitionCount);
}

// A window whose first value recurs `count` times, never twice in a row, other values distinct.
std::vector<uint8_t> biasedWindow(unsigned count) {
  std::vector<uint8_t> w;
  uint8_t other = 1;
  while (w.size() < ContinuousHealthTest::kAdaptiveWindow) {
    if (count > 0 && w.size() % 2 == 0) {
      w.push_back(0);
      --count;
    } else {
      w.push_back(other);
      other = static_cast<uint8_t>(other % 255 + 1);
    }
  }
  return w;
}

TEST(ContinuousHealthTestTest, AdaptiveProportionFailsAtTheCutoffNotBefore) {
  ContinuousHealthTest ok;
  EXPECT_EQ(ok.feed(biasedWindow(ContinuousHealthTest::kAdaptiveCutoff - 1)), Health::kPass);
  ContinuousHealthTest bad;
  EXPECT_EQ(bad.feed(biasedWindow(ContinuousHealthTest::kAdaptiveCutoff)),
            Health::kAdaptiveProportion);
}

TEST(ContinuousHealthTestTest, AdaptiveProportionRestartsEachWindow) {
  ContinuousHealthTest t;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(t.feed(biasedWindow(ContinuousHealthTest::kAdaptiveCutoff - 1)), Health::kPass);
  }
}

// A scripted hardware source.
class FakeNoise final : public NoiseSource {
 public:
  enum class Mode { kCounter, kStuck, kDry };
  explicit FakeNoise(Mode mode, int* calls) : mode_(mode), calls_(calls) {}
  bool fill(std::span<uint8_t> out) override {
    ++*calls_;
    if (mode_ == Mode::kDry) return false;
    for (uint8_t& b : out)
      b = mode_ == Mode::kStuck ? 0xff : static_cast<uint8_t>(next_ += 37);
    return true;
  }
  std::string_view name() const override { return "fake"; }

 private:
  Mode mode_;
  int* calls_;
  uint8_t next_ = 0;
};

TEST(MixedEntropySourceTest, MixesHealthyHardwareIntoEveryByte) {
  int calls = 0;
  MixedEntropySource src(std::make_unique<FakeNoise>(FakeNoise::Mode::kCounter, &calls));
  std::vector<uint8_t> out(1000);
  ASSERT_TRUE(src.fill(out).ok());
  SeedSourceStatus s = src.status();
  EXPECT_EQ(s.hardwareSource, "fake");
  EXPECT_TRUE(s.hardwareInUse);
  EXPECT_EQ(s.requests, 1u);
  EXPECT_EQ(s.bytes, 1000u);
  EXPECT_EQ(s.hardwareBytes, 1000u);
  EXPECT_EQ(s.osOnlyRequests, 0u);
  EXPECT_EQ(s.healthFailures, 0u);
  EXPECT_EQ(calls, 4);  // 256-byte chunks
}

TEST(MixedEntropySourceTest, StuckHardwareIsDroppedReportedAndOsServesAlone) {
  int calls = 0;
  MixedEntropySource src(std::make_unique<FakeNoise>(FakeNoise::Mode::kStuck, &calls));
  std::vector<std::string> events;
  src.setEventHandler([&](const std::string& m) { events.push_back(m); });
  std::vector<uint8_t> out(48);
  ASSERT_TRUE(src.fill(out).ok());
  ASSERT_TRUE(src.fill(out).ok());

  const std::string expected =
      "entropy: fake failed the SP 800-90B repetition count test; hardware source disabled, "
      "seeding from getrandom only";
  EXPECT_EQ(events, std::vector<std::string>{expected});
  SeedSourceStatus s = src.status();
  EXPECT_FALSE(s.hardwareInUse);
  EXPECT_EQ(s.healthFailures, 1u);
  EXPECT_EQ(s.osOnlyRequests, 2u);
  EXPECT_EQ(s.hardwareBytes, 0u);
  EXPECT_EQ(s.lastEvent, expected);
  EXPECT_EQ(calls, 1);  // latched: the second request did not touch the hardware
  EXPECT_NE(out, std::vector<uint8_t>(48, 0xff));
}

TEST(MixedEntropySourceTest, DryHardwareFallsBackForThatRequestOnly) {
  int calls = 0;
  MixedEntropySource src(std::make_unique<FakeNoise>(FakeNoise::Mode::kDry, &calls));
  std::vector<uint8_t> out(32);
  ASSERT_TRUE(src.fill(out).ok());
  ASSERT_TRUE(src.fill(out).ok());
  SeedSourceStatus s = src.status();
  EXPECT_TRUE(s.hardwareInUse);
  EXPECT_EQ(s.hardwareExhausted, 2u);
  EXPECT_EQ(s.osOnlyRequests, 2u);
  EXPECT_EQ(s.lastEvent,
            "entropy: fake returned no data after retries; this seed comes from getrandom only");
  EXPECT_EQ(calls, 2);
}

TEST(MixedEntropySourceTest, WithoutHardwareServesFromOs) {
  MixedEntropySource src(nullptr);
  std::vector<uint8_t> out(64);
  ASSERT_TRUE(src.fill(out).ok());
  SeedSourceStatus s = src.status();
  EXPECT_EQ(s.hardwareSource, "none");
  EXPECT_FALSE(s.hardwareInUse);
  EXPECT_EQ(s.osOnlyRequests, 1u);
  EXPECT_EQ(s.healthFailures, 0u);
}

TEST(CpuNoiseSourceTest, FillsFromRdseedOrRdrand) {
  accel::CpuFeatures f = accel::detectCpuFeatures();
  std::unique_ptr<CpuNoiseSource> src = CpuNoiseSource::create(f.rdseed, f.rdrand);
  if (!src) {
    GTEST_SKIP() << "CPU has neither RDSEED nor RDRAND";
  }
  std::vector<uint8_t> out(4096);
  ASSERT_TRUE(src->fill(out));
  CpuNoiseSource::Counters c = src->counters();
  EXPECT_EQ(c.rdseedWords + c.rdrandWords, 512u);
  EXPECT_EQ(c.exhausted, 0u);
  if (!f.rdseed) {
    EXPECT_EQ(c.rdseedWords, 0u);
  }
  ContinuousHealthTest t;
  EXPECT_EQ(t.feed(out), Health::kPass);
  EXPECT_EQ(CpuNoiseSource::create(false, false), nullptr);
}

// A fresh library context that drops the seed provider's handle before it is freed.
class SeedLibCtx {
 public:
  SeedLibCtx() : ctx_(OSSL_LIB_CTX_new()) {}
  ~SeedLibCtx() { unloadCpuSeedSource(ctx_.get()); }
  SeedLibCtx(const SeedLibCtx&) = delete;
  SeedLibCtx& operator=(const SeedLibCtx&) = delete;
  OSSL_LIB_CTX* get() const { return ctx_.get(); }

 private:
  ossl::OsslLibCtxPtr ctx_;
};

TEST(SeedProviderTest, PrimaryDrbgSeedsAndReseedsFromTheProvider) {
  SeedLibCtx libctx;
  SeedSourceStatus process_before = cpuSeedSourceStatus();
  Status st = installCpuSeedSource(libctx.get());
  ASSERT_TRUE(st.ok()) << st.message();

  Result<SeedProviderCounters> c1 = seedProviderCounters(libctx.get());
  ASSERT_TRUE(c1.ok()) << c1.message();
  EXPECT_EQ(c1->contexts, 1u);      // the primary DRBG's parent
  EXPECT_EQ(c1->seedRequests, 1u);  // its instantiation

  EVP_RAND_CTX* primary = RAND_get0_primary(libctx.get());
  ASSERT_NE(primary, nullptr);
  EXPECT_STREQ(EVP_RAND_get0_name(EVP_RAND_CTX_get0_rand(primary)), "CTR-DRBG");
  ASSERT_EQ(EVP_RAND_reseed(primary, 0, nullptr, 0, nullptr, 0), 1);
  unsigned char buf[64];
  ASSERT_EQ(RAND_bytes_ex(libctx.get(), buf, sizeof(buf), 0), 1);

  Result<SeedProviderCounters> c2 = seedProviderCounters(libctx.get());
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(c2->seedRequests, 2u);  // + the explicit reseed
  SeedSourceStatus process_after = cpuSeedSourceStatus();
  EXPECT_EQ(process_after.requests - process_before.requests, 2u);
  if (process_after.hardwareInUse) {
    EXPECT_GT(process_after.hardwareBytes, process_before.hardwareBytes);
  }
}

TEST(SeedProviderTest, SeedSourceAlgorithmComesFromTheVtpsProvider) {
  SeedLibCtx libctx;
  ASSERT_TRUE(installCpuSeedSource(libctx.get()).ok());
  ossl::EvpRandPtr rand(EVP_RAND_fetch(libctx.get(), kSeedSourceName, nullptr));
  ASSERT_TRUE(rand);
  EXPECT_STREQ(OSSL_PROVIDER_get0_name(EVP_RAND_get0_provider(rand.get())), kSeedProviderName);

  ossl::EvpRandCtxPtr ctx(EVP_RAND_CTX_new(rand.get(), nullptr));
  ASSERT_TRUE(ctx);
  ASSERT_EQ(EVP_RAND_instantiate(ctx.get(), 256, 0, nullptr, 0, nullptr), 1);
  EXPECT_EQ(EVP_RAND_get_strength(ctx.get()), 256u);
  EXPECT_EQ(EVP_RAND_get_state(ctx.get()), EVP_RAND_STATE_READY);
  std::vector<unsigned char> out(100000);  // more than one max_request: EVP splits it
  ASSERT_EQ(EVP_RAND_generate(ctx.get(), out.data(), out.size(), 256, 0, nullptr, 0), 1);
  EXPECT_EQ(seedProviderCounters(libctx.get())->generateCalls, 2u);
  // Asking for more strength than the source has is refused.
  EXPECT_EQ(EVP_RAND_generate(ctx.get(), out.data(), 16, 512, 0, nullptr, 0), 0);

  // A seed source has no parent.
  EXPECT_EQ(EVP_RAND_CTX_new(rand.get(), ctx.get()), nullptr);
  ERR_clear_error();
}

TEST(SeedProviderTest, InstallAfterFirstRandomBytesIsRefused) {
  SeedLibCtx libctx;
  unsigned char buf[16];
  ASSERT_EQ(RAND_bytes_ex(libctx.get(), buf, sizeof(buf), 0), 1);
  Status st = installCpuSeedSource(libctx.get());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "install seed source VTPS-CPU-SEED: the primary DRBG of this library context already "
            "exists; install the seed source before the first use of random numbers");
}

TEST(SeedProviderTest, CountersOfAContextWithoutTheProviderAreAnError) {
  SeedLibCtx libctx;
  Result<SeedProviderCounters> c = seedProviderCounters(libctx.get());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.message(), "read counters of provider vtps-seed: not loaded in this library context");
}

}  // namespace
}  // namespace vtps::rng
