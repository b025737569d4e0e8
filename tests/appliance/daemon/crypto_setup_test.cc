// setupProcessCrypto in a process of its own (this test binary): the seed source must be
// installed before the first random number, so the first test to run installs it and the others
// check what it did. The AES-GCM choice follows intel-ipsec-mb's own verdict for this CPU.
#include "appliance/daemon/crypto_setup.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <array>

#include "crypto/accel/ipsecmb_provider.h"
#include "crypto/rng/cpu_seed_provider.h"

namespace vtps::daemon {
namespace {

const CryptoState& processState() {
  static const CryptoState state = [] {
    config::Device device;  // defaults: seed-source cpu, aead auto
    Result<CryptoState> r = setupProcessCrypto(device);
    EXPECT_TRUE(r.ok()) << r.message();
    return r.ok() ? *r : CryptoState{};
  }();
  return state;
}

TEST(CryptoSetupTest, SeedSourceFeedsTheDrbg) {
  const CryptoState& s = processState();
  EXPECT_EQ(s.seed_source, config::SeedSource::kCpu);
  uint64_t before = rng::cpuSeedSourceStatus().requests;
  EXPECT_GT(before, 0u);  // the primary DRBG took its seed from it when it was installed
  std::array<unsigned char, 64> bytes{};
  ASSERT_EQ(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())), 1);
  rng::SeedSourceStatus status = rng::cpuSeedSourceStatus();
  if (s.cpu.rdseed || s.cpu.rdrand) {
    EXPECT_TRUE(status.hardwareInUse);
    EXPECT_GT(status.hardwareBytes, 0u);
  } else {
    EXPECT_EQ(status.hardwareSource, "none");
  }
}

TEST(CryptoSetupTest, AeadFollowsTheMeasuredChoiceAndServesTls) {
  const CryptoState& s = processState();
  Result<accel::IpsecMbInfo> info = accel::ipsecMbInfo();
  const bool expect_ipsecmb = info.ok() && info->preferredByDefault;
  EXPECT_EQ(s.aead_in_use, expect_ipsecmb ? "ipsec-mb" : "openssl") << s.aead_reason;
  // A fetch through the default context gets the provider when it is preferred.
  EVP_CIPHER* gcm = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  ASSERT_NE(gcm, nullptr);
  const char* provider = OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(gcm));
  EXPECT_STREQ(provider, expect_ipsecmb ? accel::kIpsecMbProviderName : "default");
  EVP_CIPHER_free(gcm);
}

TEST(CryptoSetupTest, DescribeAndFormatShowTheChoices) {
  const CryptoState& s = processState();
  nlohmann::ordered_json d = describeCrypto(s);
  EXPECT_EQ(d["seed"]["source"], "cpu");
  EXPECT_EQ(d["aead"]["in_use"], s.aead_in_use);
  EXPECT_EQ(d["aead"]["configured"], "auto");
  EXPECT_EQ(d["cpu"]["features"]["aes"], s.cpu.aesni);
  std::string text = formatCrypto(d);
  EXPECT_NE(text.find("Seed source:    cpu"), std::string::npos) << text;
  EXPECT_NE(text.find("AES-GCM (TLS):  " + s.aead_in_use), std::string::npos) << text;
}

TEST(CryptoSetupTest, PerformanceModeWarnsOnlyForMissingFeatures) {
  config::Device device;
  device.mode = config::DeviceMode::kPerformance;
  device.seed_source = config::SeedSource::kOs;  // the DRBG already exists in this process
  device.aead_provider = config::AeadProvider::kOpenssl;
  Result<CryptoState> r = setupProcessCrypto(device);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->warnings, accel::performanceModeWarnings(r->cpu));
  EXPECT_EQ(r->aead_reason, "device.crypto.aead is openssl");
}

TEST(CryptoSetupTest, SeedSourceAfterFirstRandomUseIsRefused) {
  processState();
  config::Device device;
  device.aead_provider = config::AeadProvider::kOpenssl;
  Result<CryptoState> r = setupProcessCrypto(device);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("crypto: seed-source cpu: install seed source VTPS-CPU-SEED: "),
            std::string::npos)
      << r.message();
}

}  // namespace
}  // namespace vtps::daemon
