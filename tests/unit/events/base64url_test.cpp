#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <sodium.h>

#include "events/base64url.hpp"

using namespace weft::events;

namespace {

std::string sodium_b64(const std::vector<unsigned char>& bytes) {
  constexpr int v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), v), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), v);
  out.resize(out.size() - 1);
  return out;
}

bool decodes(std::string_view in) {
  std::vector<unsigned char> out(base64url_decoded_size(in.size()) + 1);
  return base64url_decode(in, out.data());
}

} // namespace

TEST_CASE("base64url round-trips and agrees with libsodium", "[base64url]") {
  REQUIRE(sodium_init() >= 0);
  for (std::size_t n = 0; n < 100; ++n) {
    std::vector<unsigned char> bytes(n);
    if (n > 0) // (data() of an empty vector is null, which libsodium may not take: UBSan)
      randombytes_buf(bytes.data(), n);
    auto enc = base64url_encode(bytes.data(), n);
    REQUIRE(enc == sodium_b64(bytes));
    std::vector<unsigned char> back(base64url_decoded_size(enc.size()));
    REQUIRE(back.size() == n);
    REQUIRE(base64url_decode(enc, back.data()));
    REQUIRE(back == bytes);
  }
  CHECK(base64url_encode("\xfb\xff", 2) == "-_8");
}

TEST_CASE("base64url decoding is strict", "[base64url]") {
  CHECK(decodes(""));
  CHECK(decodes("e30"));
  CHECK_FALSE(decodes("e30="));  // padding
  CHECK_FALSE(decodes("e3+/"));  // standard alphabet
  CHECK_FALSE(decodes("e30xA")); // a dangling character carries no whole byte
  CHECK_FALSE(decodes("e31"));   // non-zero unused bits: a second encoding of "{}"
  CHECK_FALSE(decodes("e3 0"));
  CHECK_FALSE(decodes(std::string_view{"e3\0", 3}));
  CHECK_FALSE(decodes("\xc3\xa9"));
}
