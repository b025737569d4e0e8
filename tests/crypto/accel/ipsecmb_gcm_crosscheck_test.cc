// The provider against OpenSSL's default AES-GCM: every length 0..4096 with random AAD, bit flips
// that must fail the tag, streaming in random pieces, the TLS 1.2 record interface, and the
// invalid uses the EVP interface must refuse.
#include <gtest/gtest.h>
#include <openssl/err.h>

#include <cstring>
#include <random>

#include "gcm_test_util.h"

namespace vtps::accel::testing {
namespace {

class GcmCrossCheckTest : public ::testing::TestWithParam<const char*> {
 protected:
  Bytes random(size_t n) {
    Bytes b(n);
    for (uint8_t& v : b)
      v = static_cast<uint8_t>(rng_());
    return b;
  }
  size_t keyLen() const { return std::strcmp(GetParam(), "AES-128-GCM") == 0 ? 16 : 32; }

  GcmProviders providers_;
  ossl::EvpCipherPtr ours_ = providers_.fetch(GetParam(), true);
  ossl::EvpCipherPtr theirs_ = providers_.fetch(GetParam(), false);
  std::mt19937_64 rng_{0x9e3779b97f4a7c15ULL};  // fixed: failures reproduce
};

TEST_P(GcmCrossCheckTest, EveryLengthUpTo4096MatchesOpenSslAndRejectsAnyFlippedBit) {
  ASSERT_TRUE(ours_ && theirs_);
  for (size_t len = 0; len <= 4096; ++len) {
    Bytes key = random(keyLen()), iv = random(12), aad = random(rng_() % 80), pt = random(len);
    std::optional<Sealed> a = seal(ours_.get(), key, iv, aad, pt);
    std::optional<Sealed> b = seal(theirs_.get(), key, iv, aad, pt);
    ASSERT_TRUE(a && b) << "length " << len;
    ASSERT_EQ(a->ciphertext, b->ciphertext) << "length " << len;
    ASSERT_EQ(a->tag, b->tag) << "length " << len;
    std::optional<Bytes> opened = open(ours_.get(), key, iv, aad, a->ciphertext, a->tag);
    ASSERT_TRUE(opened && *opened == pt) << "length " << len;

    // One sampled bit of ciphertext, AAD or tag: the tag must no longer verify.
    Bytes ct = a->ciphertext, ad = aad, tag = a->tag;
    const size_t total_bits = 8 * (ct.size() + ad.size() + tag.size());
    size_t bit = rng_() % total_bits;
    Bytes* target = &tag;
    if (bit < 8 * ct.size()) {
      target = &ct;
    } else if ((bit -= 8 * ct.size()) < 8 * ad.size()) {
      target = &ad;
    } else {
      bit -= 8 * ad.size();
    }
    (*target)[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    ASSERT_FALSE(open(ours_.get(), key, iv, ad, ct, tag)) << "length " << len << " bit " << bit;
    ASSERT_FALSE(open(theirs_.get(), key, iv, ad, ct, tag)) << "length " << len;
  }
}

TEST_P(GcmCrossCheckTest, StreamingInRandomPiecesMatchesOneShot) {
  for (int round = 0; round < 200; ++round) {
    Bytes key = random(keyLen()), iv = random(12), pt = random(rng_() % 3000);
    Bytes aad = random(rng_() % 100);
    std::optional<Sealed> expected = seal(theirs_.get(), key, iv, aad, pt);
    ASSERT_TRUE(expected);

    ossl::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    ASSERT_EQ(EVP_EncryptInit_ex(ctx.get(), ours_.get(), nullptr, key.data(), iv.data()), 1);
    int len = 0;
    for (size_t off = 0; off < aad.size();) {  // AAD in pieces too
      size_t n = std::min<size_t>(aad.size() - off, 1 + rng_() % 40);
      ASSERT_EQ(EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data() + off, static_cast<int>(n)),
                1);
      off += n;
    }
    Bytes ct(pt.size());
    for (size_t off = 0; off < pt.size();) {
      size_t n = std::min<size_t>(pt.size() - off, rng_() % 100);
      ASSERT_EQ(
          EVP_EncryptUpdate(ctx.get(), ct.data() + off, &len, pt.data() + off, static_cast<int>(n)),
          1);
      ASSERT_EQ(static_cast<size_t>(len), n);
      off += n;
    }
    ASSERT_EQ(EVP_EncryptFinal_ex(ctx.get(), nullptr, &len), 1);
    Bytes tag(16);
    ASSERT_EQ(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, tag.data()), 1);
    ASSERT_EQ(ct, expected->ciphertext) << "round " << round;
    ASSERT_EQ(tag, expected->tag) << "round " << round;
  }
}

TEST_P(GcmCrossCheckTest, CopiedContextFinishesLikeTheOriginal) {
  Bytes key = random(keyLen()), iv = random(12), pt = random(1000);
  ossl::EvpCipherCtxPtr a(EVP_CIPHER_CTX_new()), b(EVP_CIPHER_CTX_new());
  ASSERT_EQ(EVP_EncryptInit_ex(a.get(), ours_.get(), nullptr, key.data(), iv.data()), 1);
  int len = 0;
  Bytes ct1(pt.size()), ct2(pt.size());
  ASSERT_EQ(EVP_EncryptUpdate(a.get(), ct1.data(), &len, pt.data(), 333), 1);
  ASSERT_EQ(EVP_CIPHER_CTX_copy(b.get(), a.get()), 1);
  std::memcpy(ct2.data(), ct1.data(), 333);
  Bytes tag1(16), tag2(16);
  for (auto [ctx, ct, tag] : {std::tuple{a.get(), &ct1, &tag1}, std::tuple{b.get(), &ct2, &tag2}}) {
    ASSERT_EQ(EVP_EncryptUpdate(ctx, ct->data() + 333, &len, pt.data() + 333, 667), 1);
    ASSERT_EQ(EVP_EncryptFinal_ex(ctx, nullptr, &len), 1);
    ASSERT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag->data()), 1);
  }
  EXPECT_EQ(ct1, ct2);
  EXPECT_EQ(tag1, tag2);
  EXPECT_EQ(open(theirs_.get(), key, iv, {}, ct1, tag1), pt);
}

TEST_P(GcmCrossCheckTest, EncryptionWithoutIvGeneratesOneTheCallerCanRead) {
  Bytes key = random(keyLen()), pt = random(100);
  ossl::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  ASSERT_EQ(EVP_EncryptInit_ex(ctx.get(), ours_.get(), nullptr, key.data(), nullptr), 1);
  Bytes ct(pt.size()), tag(16), iv(12);
  int len = 0;
  ASSERT_EQ(EVP_EncryptUpdate(ctx.get(), ct.data(), &len, pt.data(), 100), 1);
  ASSERT_EQ(EVP_EncryptFinal_ex(ctx.get(), nullptr, &len), 1);
  ASSERT_EQ(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, tag.data()), 1);
  ASSERT_EQ(EVP_CIPHER_CTX_get_updated_iv(ctx.get(), iv.data(), iv.size()), 1);
  EXPECT_NE(iv, Bytes(12, 0));
  EXPECT_EQ(open(theirs_.get(), key, iv, {}, ct, tag), pt);
}

// Seals a TLS 1.2 record in place the way libssl does: TLS1 AAD (returns the pad), then
// EVP_Cipher over explicit nonce | payload | tag space.
int tlsRecord(EVP_CIPHER_CTX* ctx, Bytes& record, uint64_t seq, size_t payload_len) {
  unsigned char aad[13] = {};
  for (int i = 0; i < 8; ++i)
    aad[i] = static_cast<unsigned char>(seq >> (56 - 8 * i));
  aad[8] = 23;  // application_data
  aad[9] = 3;
  aad[10] = 3;
  aad[11] = static_cast<unsigned char>(payload_len >> 8);
  aad[12] = static_cast<unsigned char>(payload_len);
  int pad = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_TLS1_AAD, 13, aad);
  if (pad <= 0) return -2;
  return EVP_Cipher(ctx, record.data(), record.data(), static_cast<unsigned>(record.size()));
}

TEST_P(GcmCrossCheckTest, Tls12RecordsInteroperateBothWays) {
  Bytes key = random(keyLen()), fixed_iv = random(4);
  for (bool ours_seals : {true, false}) {
    ossl::EvpCipherCtxPtr enc(EVP_CIPHER_CTX_new()), dec(EVP_CIPHER_CTX_new());
    const EVP_CIPHER* sealer = ours_seals ? ours_.get() : theirs_.get();
    const EVP_CIPHER* opener = ours_seals ? theirs_.get() : ours_.get();
    ASSERT_EQ(EVP_CipherInit_ex(enc.get(), sealer, nullptr, key.data(), nullptr, 1), 1);
    ASSERT_EQ(EVP_CipherInit_ex(dec.get(), opener, nullptr, key.data(), nullptr, 0), 1);
    ASSERT_GT(EVP_CIPHER_CTX_ctrl(enc.get(), EVP_CTRL_GCM_SET_IV_FIXED, 4, fixed_iv.data()), 0);
    ASSERT_GT(EVP_CIPHER_CTX_ctrl(dec.get(), EVP_CTRL_GCM_SET_IV_FIXED, 4, fixed_iv.data()), 0);
    Bytes prev_nonce;
    for (uint64_t seq = 0; seq < 50; ++seq) {
      Bytes payload = random(seq * 97 % 2000);
      Bytes record(8 + payload.size() + 16);
      std::copy(payload.begin(), payload.end(), record.begin() + 8);
      // The record layer passes payload + explicit nonce length; the cipher returns it grown by the
      // tag.
      ASSERT_EQ(tlsRecord(enc.get(), record, seq, 8 + payload.size()),
                static_cast<int>(record.size()));
      Bytes nonce(record.begin(), record.begin() + 8);
      EXPECT_NE(nonce, prev_nonce);  // explicit nonce is a counter, never repeated
      prev_nonce = nonce;
      // Both implementations return the record length; libssl strips nonce and tag itself.
      ASSERT_EQ(tlsRecord(dec.get(), record, seq, record.size()), static_cast<int>(record.size()));
      ASSERT_EQ(Bytes(record.begin() + 8, record.begin() + 8 + payload.size()), payload);
    }
  }
}

TEST_P(GcmCrossCheckTest, Tls12RecordWithBadTagIsRejectedAndWiped) {
  Bytes key = random(keyLen()), fixed_iv = random(4), payload = random(300);
  ossl::EvpCipherCtxPtr enc(EVP_CIPHER_CTX_new()), dec(EVP_CIPHER_CTX_new());
  ASSERT_EQ(EVP_CipherInit_ex(enc.get(), theirs_.get(), nullptr, key.data(), nullptr, 1), 1);
  ASSERT_EQ(EVP_CipherInit_ex(dec.get(), ours_.get(), nullptr, key.data(), nullptr, 0), 1);
  ASSERT_GT(EVP_CIPHER_CTX_ctrl(enc.get(), EVP_CTRL_GCM_SET_IV_FIXED, 4, fixed_iv.data()), 0);
  ASSERT_GT(EVP_CIPHER_CTX_ctrl(dec.get(), EVP_CTRL_GCM_SET_IV_FIXED, 4, fixed_iv.data()), 0);
  Bytes record(8 + payload.size() + 16);
  std::memcpy(record.data() + 8, payload.data(), payload.size());
  ASSERT_EQ(tlsRecord(enc.get(), record, 7, 8 + payload.size()), static_cast<int>(record.size()));
  record.back() ^= 0x80;
  IpsecMbCounters before = ipsecMbCounters();
  EXPECT_EQ(tlsRecord(dec.get(), record, 7, record.size()), -1);
  EXPECT_EQ(Bytes(record.begin() + 8, record.end() - 16), Bytes(payload.size(), 0));
  dec.reset();
  EXPECT_EQ(ipsecMbCounters().tagFailures - before.tagFailures, 1u);
  // A record shorter than nonce + tag has no AAD length to give.
  ossl::EvpCipherCtxPtr d2(EVP_CIPHER_CTX_new());
  ASSERT_EQ(EVP_CipherInit_ex(d2.get(), ours_.get(), nullptr, key.data(), nullptr, 0), 1);
  Bytes short_record(20);
  EXPECT_EQ(tlsRecord(d2.get(), short_record, 0, short_record.size()), -2);
  ERR_clear_error();
}

TEST_P(GcmCrossCheckTest, RefusesInvalidUse) {
  Bytes key = random(keyLen()), iv = random(12), data = random(32), tag(16);
  ossl::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  ASSERT_EQ(EVP_EncryptInit_ex(ctx.get(), ours_.get(), nullptr, nullptr, nullptr), 1);
  EXPECT_EQ(EVP_CIPHER_CTX_get_key_length(ctx.get()), static_cast<int>(keyLen()));
  // IV length 0 and above 128 bytes.
  EXPECT_NE(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, 0, nullptr), 1);
  EXPECT_NE(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, 129, nullptr), 1);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, 128, nullptr), 1);
  EXPECT_EQ(EVP_CIPHER_CTX_get_iv_length(ctx.get()), 128);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr), 1);
  ERR_clear_error();
  // Setting a tag is for decryption; reading one before the encryption finished is an error.
  ASSERT_EQ(EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data()), 1);
  EXPECT_NE(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, 16, tag.data()), 1);
  EXPECT_NE(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, tag.data()), 1);
  // AAD after data.
  ASSERT_EQ(EVP_EncryptUpdate(ctx.get(), data.data(), &len, data.data(), 16), 1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx.get(), nullptr, &len, data.data(), 16), 0);
  ERR_clear_error();
  // Decryption without a tag cannot finish.
  ossl::EvpCipherCtxPtr dec(EVP_CIPHER_CTX_new());
  ASSERT_EQ(EVP_DecryptInit_ex(dec.get(), ours_.get(), nullptr, key.data(), iv.data()), 1);
  ASSERT_EQ(EVP_DecryptUpdate(dec.get(), data.data(), &len, data.data(), 32), 1);
  EXPECT_EQ(EVP_DecryptFinal_ex(dec.get(), nullptr, &len), 0);
  EXPECT_NE(ERR_peek_error(), 0u);
  ERR_clear_error();
  // An IV is used once: a second final without a new IV fails.
  ossl::EvpCipherCtxPtr once(EVP_CIPHER_CTX_new());
  ASSERT_EQ(EVP_EncryptInit_ex(once.get(), ours_.get(), nullptr, key.data(), iv.data()), 1);
  ASSERT_EQ(EVP_EncryptFinal_ex(once.get(), nullptr, &len), 1);
  EXPECT_EQ(EVP_EncryptUpdate(once.get(), data.data(), &len, data.data(), 16), 0);
  ERR_clear_error();
}

INSTANTIATE_TEST_SUITE_P(KeySizes, GcmCrossCheckTest,
                         ::testing::Values("AES-128-GCM", "AES-256-GCM"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           return std::string(p.param).substr(4, 3);
                         });

}  // namespace
}  // namespace vtps::accel::testing
