// Published AES-GCM test vectors: McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)",
// appendix B, test cases 1-6 (AES-128) and 13-18 (AES-256); 7-12 use AES-192, which the provider
// does not offer. Every vector is also run through OpenSSL's default provider, so a typing error
// in a vector shows up as a failure of both.
#include <gtest/gtest.h>
#include <openssl/err.h>

#include "gcm_test_util.h"

namespace vtps::accel::testing {
namespace {

struct GcmVector {
  int number;
  const char* key;
  const char* iv;
  const char* aad;
  const char* plaintext;
  const char* ciphertext;
  const char* tag;
};

constexpr const char* kK3 = "feffe9928665731c6d6a8f9467308308";
constexpr const char* kK15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr const char* kP64 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
constexpr const char* kP60 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
constexpr const char* kA20 = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
constexpr const char* kIv12 = "cafebabefacedbaddecaf888";
constexpr const char* kIv8 = "cafebabefacedbad";
constexpr const char* kIv60 =
    "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728"
    "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b";
constexpr const char* kZero12 = "000000000000000000000000";
constexpr const char* kZero16 = "00000000000000000000000000000000";
constexpr const char* kZero32 = "0000000000000000000000000000000000000000000000000000000000000000";

const GcmVector kVectors[] = {
    {1, kZero16, kZero12, "", "", "", "58e2fccefa7e3061367f1d57a4e7455a"},
    {2, kZero16, kZero12, "", kZero16, "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    {3, kK3, kIv12, "", kP64,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {4, kK3, kIv12, kA20, kP60,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {5, kK3, kIv8, kA20, kP60,
     "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c7423"
     "73806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598",
     "3612d2e79e3b0785561be14aaca2fccb"},
    {6, kK3, kIv60, kA20, kP60,
     "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7"
     "01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
     "619cc5aefffe0bfa462af43c1699d050"},
    {13, kZero32, kZero12, "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {14, kZero32, kZero12, "", kZero16, "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
    {15, kK15, kIv12, "", kP64,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {16, kK15, kIv12, kA20, kP60,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
    {17, kK15, kIv8, kA20, kP60,
     "c3762df1ca787d32ae47c13bf19844cbaf1ae14d0b976afac52ff7d79bba9de0"
     "feb582d33934a4f0954cc2363bc73f7862ac430e64abe499f47c9b1f",
     "3a337dbf46a792c45e454913fe2ea8f2"},
    {18, kK15, kIv60, kA20, kP60,
     "5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf4"
     "0fc0c3b780f244452da3ebf1c5d82cdea2418997200ef82e44ae7e3f",
     "a44a8266ee1c8eb0c8b5d4cf5ae9f19a"},
};

class GcmVectorTest : public ::testing::TestWithParam<bool> {
 protected:
  GcmProviders providers_;
};

TEST_P(GcmVectorTest, SealsAndOpensEveryPublishedCase) {
  const bool ipsecmb = GetParam();
  for (const GcmVector& v : kVectors) {
    SCOPED_TRACE("test case " + std::to_string(v.number));
    Bytes key = unhex(v.key);
    ossl::EvpCipherPtr cipher =
        providers_.fetch(key.size() == 16 ? "AES-128-GCM" : "AES-256-GCM", ipsecmb);
    ASSERT_TRUE(cipher);
    Bytes iv = unhex(v.iv), aad = unhex(v.aad), pt = unhex(v.plaintext);

    std::optional<Sealed> sealed = seal(cipher.get(), key, iv, aad, pt);
    ASSERT_TRUE(sealed);
    EXPECT_EQ(hex(sealed->ciphertext), v.ciphertext);
    EXPECT_EQ(hex(sealed->tag), v.tag);

    std::optional<Bytes> opened =
        open(cipher.get(), key, iv, aad, unhex(v.ciphertext), unhex(v.tag));
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, pt);

    Bytes bad_tag = unhex(v.tag);
    bad_tag[15] ^= 0x01;
    EXPECT_FALSE(open(cipher.get(), key, iv, aad, unhex(v.ciphertext), bad_tag));
  }
}

TEST_P(GcmVectorTest, TruncatedTagsArePrefixesAndVerify) {
  const GcmVector& v = kVectors[3];  // test case 4
  ossl::EvpCipherPtr cipher = providers_.fetch("AES-128-GCM", GetParam());
  Bytes key = unhex(v.key), iv = unhex(v.iv), aad = unhex(v.aad), pt = unhex(v.plaintext);
  for (size_t tag_len : {4u, 8u, 12u, 13u, 14u, 15u}) {
    std::optional<Sealed> sealed = seal(cipher.get(), key, iv, aad, pt, tag_len);
    ASSERT_TRUE(sealed) << tag_len;
    EXPECT_EQ(hex(sealed->tag), std::string(v.tag).substr(0, 2 * tag_len));
    EXPECT_TRUE(open(cipher.get(), key, iv, aad, sealed->ciphertext, sealed->tag));
  }
}

INSTANTIATE_TEST_SUITE_P(Providers, GcmVectorTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "IpsecMb" : "OpenSslDefault";
                         });

TEST(IpsecMbProviderTest, ServesBothKeySizesUnderItsName) {
  GcmProviders providers;
  for (const char* name : {"AES-128-GCM", "id-aes128-GCM", "AES-256-GCM", "id-aes256-GCM"}) {
    ossl::EvpCipherPtr c = providers.fetch(name, true);
    ASSERT_TRUE(c) << name;
    EXPECT_STREQ(OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(c.get())), kIpsecMbProviderName);
    EXPECT_EQ(EVP_CIPHER_get_mode(c.get()), EVP_CIPH_GCM_MODE);
    EXPECT_EQ(EVP_CIPHER_get_iv_length(c.get()), 12);
    EXPECT_EQ(EVP_CIPHER_get_block_size(c.get()), 1);
    // libssl routes TLS 1.2 through the AEAD path only for these flags.
    EXPECT_NE(EVP_CIPHER_get_flags(c.get()) & EVP_CIPH_FLAG_AEAD_CIPHER, 0u);
    EXPECT_NE(EVP_CIPHER_get_flags(c.get()) & EVP_CIPH_CUSTOM_IV, 0u);
  }
  EXPECT_EQ(EVP_CIPHER_get_key_length(providers.fetch("AES-256-GCM", true).get()), 32);
  ERR_set_mark();
  EXPECT_FALSE(providers.fetch("AES-192-GCM", true));
  ERR_pop_to_mark();
}

TEST(IpsecMbProviderTest, InfoNamesLibraryAndArchitecture) {
  Result<IpsecMbInfo> info = ipsecMbInfo();
  ASSERT_TRUE(info.ok()) << info.message();
  EXPECT_EQ(info->libraryVersion, "1.3.0");
  EXPECT_FALSE(info->arch.empty());
  EXPECT_EQ(info->arch.find("unknown"), std::string::npos);
  EXPECT_EQ(info->preferredByDefault, info->vaes);
  if (info->vaes) {
    EXPECT_EQ(info->arch, "avx512");
  }
}

TEST(IpsecMbProviderTest, PreferringRequiresLoadingFirst) {
  ossl::OsslLibCtxPtr libctx(OSSL_LIB_CTX_new());
  Status st = preferIpsecMbProvider(libctx.get());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "prefer provider vtps-ipsecmb: not loaded in this library context; call "
            "loadIpsecMbProvider first");
  ASSERT_TRUE(loadIpsecMbProvider(libctx.get()).ok());
  ASSERT_TRUE(loadIpsecMbProvider(libctx.get()).ok());  // idempotent
  ASSERT_TRUE(preferIpsecMbProvider(libctx.get()).ok());
  ossl::EvpCipherPtr c(EVP_CIPHER_fetch(libctx.get(), "AES-128-GCM", nullptr));
  ASSERT_TRUE(c);
  EXPECT_STREQ(OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(c.get())), kIpsecMbProviderName);
  // Everything else still comes from the default provider.
  ossl::EvpCipherPtr cbc(EVP_CIPHER_fetch(libctx.get(), "AES-128-CBC", nullptr));
  ASSERT_TRUE(cbc);
  EXPECT_STREQ(OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(cbc.get())), "default");
  c.reset();
  cbc.reset();
  unloadIpsecMbProvider(libctx.get());
}

}  // namespace
}  // namespace vtps::accel::testing
