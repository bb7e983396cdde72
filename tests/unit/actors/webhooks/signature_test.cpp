#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include "actors/webhooks/signature.hpp"

using namespace weft::webhooks;

namespace {

/// The openssl command line, as an implementation independent of ours:
/// HMAC-SHA256 with a hex key, base64 of the binary MAC.
std::string openssl_signature(const std::string& key, const std::string& content) {
  std::string hex;
  char b[3];
  for (unsigned char c : key) {
    std::snprintf(b, sizeof b, "%02x", c);
    hex += b;
  }
  auto path = std::string{"/tmp/weft-sig-"} + std::to_string(::getpid());
  std::ofstream{path, std::ios::binary} << content;
  auto cmd = "openssl dgst -sha256 -mac HMAC -macopt hexkey:" + hex + " -binary " + path
             + " | openssl base64 -A";
  std::string out;
  if (auto* p = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (auto n = std::fread(buf, 1, sizeof buf, p))
      out.append(buf, n);
    ::pclose(p);
  }
  std::remove(path.c_str());
  return "v1," + out;
}

} // namespace

TEST_CASE("webhook signatures: the Standard Webhooks example vector", "[webhooks]") {
  // From the specification (checked with the openssl CLI in the notes).
  auto key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  REQUIRE(key);
  CHECK(sign(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})")
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST_CASE("webhook signatures: agree with an independent implementation (openssl)",
          "[webhooks]") {
  for (int i = 0; i < 5; ++i) {
    auto secret = new_secret();
    auto key = secret_key(secret);
    REQUIRE(key);
    CHECK(key->size() == 32);
    std::string body = R"({"specversion":"1.0","id":"e-)" + std::to_string(i)
                       + R"(","data":{"text":"h\u00e9llo\n"}})";
    auto id = "01900000-0000-7000-8000-00000000000" + std::to_string(i);
    int64_t ts = 1700000000 + i;
    CHECK(sign(*key, id, ts, body)
          == openssl_signature(*key, id + "." + std::to_string(ts) + "." + body));
  }
}

TEST_CASE("webhook signatures: secrets, rotation, base64", "[webhooks]") {
  auto a = new_secret(), b = new_secret();
  CHECK(a != b);
  CHECK(a.rfind("whsec_", 0) == 0);
  auto both = signature_header({a, b}, "id", 1, "x");
  auto space = both.find(' ');
  REQUIRE(space != std::string::npos);
  CHECK(both.substr(0, space) == sign(*secret_key(a), "id", 1, "x"));
  CHECK(both.substr(space + 1) == sign(*secret_key(b), "id", 1, "x"));
  CHECK(signature_header({"not-a-secret", a}, "id", 1, "x") == sign(*secret_key(a), "id", 1, "x"));
  CHECK_FALSE(secret_key("whsec_"));
  CHECK_FALSE(secret_key("whsec_c2hvcnQ=")); // 5 bytes: too short
  CHECK_FALSE(secret_key("sk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  CHECK(unbase64(base64("a")) == std::string{"a"});
  CHECK(unbase64(base64("ab")) == std::string{"ab"});
  CHECK(unbase64(base64("abc")) == std::string{"abc"});
  CHECK_FALSE(unbase64("abc"));
  CHECK_FALSE(unbase64("a$c="));
}
