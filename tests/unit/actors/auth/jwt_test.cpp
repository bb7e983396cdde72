#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include <caf/message.hpp>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "actors/auth/jwt.hpp"
#include "runtime/api_error.hpp"

using namespace weft::auth;
using namespace std::chrono_literals;
using json = nlohmann::json;
using sys_clock = std::chrono::system_clock;

namespace {

const std::string secret = "0123456789abcdef0123456789abcdef-test-only";

jwt_settings test_settings() {
  return jwt_settings{"https://weft.test", "weft-api", secret, "k1", 900s, 30s};
}

const auto now = sys_clock::time_point{std::chrono::seconds{1'700'000'000}};

// An independent encoder and signer (libsodium, OpenSSL's one-shot HMAC) so
// that the codec is checked against something other than itself.
std::string b64(std::string_view bytes) {
  constexpr int v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), v), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), v);
  out.resize(out.size() - 1);
  return out;
}

std::string hs256(std::string_view input, std::string_view key = secret) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return b64(std::string_view{reinterpret_cast<const char*>(mac), len});
}

/// Signs raw header and payload strings (valid JSON or not) with `key`.
std::string forge_raw(std::string_view header, std::string_view payload,
                      std::string_view key = secret) {
  auto input = b64(header) + "." + b64(payload);
  return input + "." + hs256(input, key);
}

json good_header() {
  return {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "k1"}};
}

json good_claims() {
  auto t = int64_t{1'700'000'000};
  return {{"iss", "https://weft.test"}, {"aud", "weft-api"}, {"sub", "u-1"},
          {"email", "a@example.com"},   {"roles", {"user"}},  {"jti", "j-1"},
          {"iat", t},                   {"nbf", t},           {"exp", t + 900}};
}

std::string forge(const json& header, const json& claims, std::string_view key = secret) {
  return forge_raw(header.dump(), claims.dump(), key);
}

/// The detail string of an api_error, wherever it sits in the context.
std::string reason(const caf::error& e) {
  const auto& ctx = e.context();
  for (size_t i = 0; i < ctx.size(); ++i)
    if (ctx.match_element<std::string>(i))
      return ctx.get_as<std::string>(i);
  return {};
}

/// The rejection reason of verifying `token` at `t` ("" if it was accepted).
std::string rejects(const jwt_codec& codec, std::string_view token, sys_clock::time_point t = now) {
  auto r = codec.verify(token, t);
  if (r)
    return "";
  CHECK(r.error().category() == caf::atom("api"));
  CHECK(r.error().code() == static_cast<uint8_t>(weft::api_errc::unauthenticated));
  return reason(r.error());
}

} // namespace

TEST_CASE("jwt: a signed token verifies back to its claims", "[jwt]") {
  jwt_codec codec{test_settings()};
  auto c = codec.make_claims("u-42", "a@example.com", {"user", "admin"}, now);
  CHECK(c.iat == 1'700'000'000);
  CHECK(c.nbf == c.iat);
  CHECK(c.exp == c.iat + 900);
  CHECK(c.jti.size() == 22);
  CHECK(codec.make_claims("u-42", "", {}, now).jti != c.jti);
  CHECK(codec.access_ttl() == 900s);
  auto token = codec.sign(c);
  REQUIRE_FALSE(token.empty());
  auto r = codec.verify(token, now);
  REQUIRE(r);
  CHECK(r->sub == "u-42");
  CHECK(r->email == "a@example.com");
  CHECK(r->roles == std::vector<std::string>{"user", "admin"});
  CHECK(r->jti == c.jti);
  CHECK(r->iat == c.iat);
  CHECK(r->nbf == c.nbf);
  CHECK(r->exp == c.exp);
  // The wire form is what any HS256 implementation would produce.
  auto dot1 = token.find('.');
  auto dot2 = token.rfind('.');
  CHECK(token.substr(0, dot1) == b64(R"({"alg":"HS256","kid":"k1","typ":"JWT"})"));
  CHECK(token.substr(dot2 + 1) == hs256(token.substr(0, dot2)));
  CHECK(token.find('=') == std::string::npos);
}

TEST_CASE("jwt: a schema account's realm and a session's CSRF token are signed claims", "[jwt]") {
  jwt_codec codec{test_settings()};
  auto plain = codec.verify(codec.sign(codec.make_claims("u-1", "", {"user"}, now)), now);
  REQUIRE(plain);
  CHECK(plain->realm.empty()); // the node's own accounts carry neither
  CHECK(plain->csrf.empty());
  auto c = codec.make_claims("m-1", "m@example.com", {"admin"}, now);
  c.realm = "members/web";
  c.csrf = "csrf-token";
  auto r = codec.verify(codec.sign(c), now);
  REQUIRE(r);
  CHECK(r->realm == "members/web");
  CHECK(r->csrf == "csrf-token");
  // Present, they are typed and given once; dropping one breaks the signature.
  auto claims = good_claims();
  claims["realm"] = 7;
  CHECK(rejects(codec, forge(good_header(), claims), now) == "invalid claim: realm");
  claims["realm"] = "";
  CHECK(rejects(codec, forge(good_header(), claims), now) == "invalid claim: realm");
  claims = good_claims();
  claims["csrf"] = {"x"};
  CHECK(rejects(codec, forge(good_header(), claims), now) == "invalid claim: csrf");
  auto dup = forge_raw(good_header().dump(),
                       R"({"iss":"https://weft.test","aud":"weft-api","sub":"u","email":"","roles":[],"jti":"j",)"
                       R"("iat":1700000000,"nbf":1700000000,"exp":1700000900,"realm":"a/b","realm":"c/d"})");
  CHECK(rejects(codec, dup, now) == "malformed token");
}

TEST_CASE("jwt: an empty or long secret is still a consistent HMAC key", "[jwt]") {
  // Settings validation should refuse short secrets; the codec must not break.
  for (std::string key : {std::string{}, std::string(200, 'k')}) {
    auto s = test_settings();
    s.secret = key;
    jwt_codec codec{s};
    auto token = codec.sign(codec.make_claims("u-1", "", {"user"}, now));
    CHECK(token.substr(token.rfind('.') + 1) == hs256(token.substr(0, token.rfind('.')), key));
    CHECK(codec.verify(token, now));
  }
}

TEST_CASE("jwt: tokens from another HS256 implementation verify", "[jwt]") {
  jwt_codec codec{test_settings()};
  // Header keys in another order take the parsing path.
  auto token = forge_raw(R"({"typ":"JWT","kid":"k1","alg":"HS256"})", good_claims().dump());
  CHECK(rejects(codec, token) == "");
  auto no_typ = json{{"alg", "HS256"}, {"kid", "k1"}};
  CHECK(rejects(codec, forge(no_typ, good_claims())) == "");
  auto bad_typ = json{{"alg", "HS256"}, {"kid", "k1"}, {"typ", "at+jwt"}};
  CHECK(rejects(codec, forge(bad_typ, good_claims())) == "malformed token");
  auto crit = json{{"alg", "HS256"}, {"kid", "k1"}, {"crit", {"exp"}}};
  CHECK(rejects(codec, forge(crit, good_claims())) == "malformed token");
}

TEST_CASE("jwt: tampering breaks the signature", "[jwt]") {
  jwt_codec codec{test_settings()};
  auto token = codec.sign(codec.make_claims("u-1", "a@example.com", {"user"}, now));
  auto dot1 = token.find('.');
  auto dot2 = token.rfind('.');
  SECTION("payload") {
    auto claims = good_claims();
    claims["roles"] = {"root"};
    auto forged = token.substr(0, dot1) + "." + b64(claims.dump()) + token.substr(dot2);
    CHECK(rejects(codec, forged) == "bad signature");
  }
  SECTION("signature") {
    auto forged = token;
    forged[dot2 + 5] = forged[dot2 + 5] == 'A' ? 'B' : 'A';
    CHECK(rejects(codec, forged) == "bad signature");
    CHECK(rejects(codec, token.substr(0, token.size() - 1)) == "bad signature");
    CHECK(rejects(codec, token.substr(0, dot2 + 1)) == "bad signature");
    CHECK(rejects(codec, token + "AAAA") == "bad signature");
  }
  SECTION("another secret") {
    auto other = forge(good_header(), good_claims(), "another secret of thirty-two bytes!!");
    CHECK(rejects(codec, other) == "bad signature");
    auto s = test_settings();
    s.secret = "another secret of thirty-two bytes!!";
    CHECK(rejects(jwt_codec{s}, token) == "bad signature");
  }
}

TEST_CASE("jwt: exp and nbf with clock skew", "[jwt]") {
  jwt_codec codec{test_settings()};
  auto token = codec.sign(codec.make_claims("u-1", "a@example.com", {"user"}, now));
  // exp = now + 900, skew 30: valid while exp > t - 30.
  CHECK(rejects(codec, token, now + 899s) == "");
  CHECK(rejects(codec, token, now + 900s) == "");
  CHECK(rejects(codec, token, now + 929s) == "");
  CHECK(rejects(codec, token, now + 930s) == "token expired");
  CHECK(rejects(codec, token, now + 24h) == "token expired");
  // nbf = now, skew 30: valid while nbf <= t + 30.
  CHECK(rejects(codec, token, now - 30s) == "");
  CHECK(rejects(codec, token, now - 31s) == "token not yet valid");
  auto future = good_claims();
  future["nbf"] = 1'700'000'000 + 3600;
  CHECK(rejects(codec, forge(good_header(), future)) == "token not yet valid");
}

TEST_CASE("jwt: the algorithm is pinned to HS256", "[jwt]") {
  jwt_codec codec{test_settings()};
  auto claims = good_claims().dump();
  auto with_alg = [&](const json& alg) {
    return json{{"alg", alg}, {"typ", "JWT"}, {"kid", "k1"}}.dump();
  };
  // alg none, unsigned and with an HS256 signature.
  auto none_input = b64(with_alg("none")) + "." + b64(claims);
  CHECK(rejects(codec, none_input + ".") == "unsupported algorithm");
  CHECK(rejects(codec, forge_raw(with_alg("none"), claims)) == "unsupported algorithm");
  // RS256 carrying an HMAC made with the (public) key material: the classic confusion.
  CHECK(rejects(codec, forge_raw(with_alg("RS256"), claims)) == "unsupported algorithm");
  CHECK(rejects(codec, forge_raw(with_alg("HS512"), claims)) == "unsupported algorithm");
  CHECK(rejects(codec, forge_raw(with_alg("hs256"), claims)) == "unsupported algorithm");
  CHECK(rejects(codec, forge_raw(with_alg(256), claims)) == "unsupported algorithm");
  CHECK(rejects(codec, forge_raw(R"({"typ":"JWT","kid":"k1"})", claims))
        == "unsupported algorithm");
}

TEST_CASE("jwt: the key id must be ours", "[jwt]") {
  jwt_codec codec{test_settings()};
  auto claims = good_claims();
  CHECK(rejects(codec, forge({{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "k2"}}, claims))
        == "unknown key id");
  CHECK(rejects(codec, forge({{"alg", "HS256"}, {"typ", "JWT"}}, claims)) == "unknown key id");
  CHECK(rejects(codec, forge({{"alg", "HS256"}, {"kid", 1}}, claims)) == "unknown key id");
  // A codec for the next key refuses tokens of the current one.
  auto s = test_settings();
  s.key_id = "k2";
  jwt_codec next{s};
  auto token = codec.sign(codec.make_claims("u-1", "", {"user"}, now));
  CHECK(rejects(next, token) == "unknown key id");
}

TEST_CASE("jwt: issuer and audience", "[jwt]") {
  jwt_codec codec{test_settings()};
  auto c = good_claims();
  SECTION("issuer") {
    c["iss"] = "https://evil.test";
    CHECK(rejects(codec, forge(good_header(), c)) == "wrong issuer");
    c.erase("iss");
    CHECK(rejects(codec, forge(good_header(), c)) == "wrong issuer");
  }
  SECTION("audience string") {
    c["aud"] = "other-api";
    CHECK(rejects(codec, forge(good_header(), c)) == "wrong audience");
    c.erase("aud");
    CHECK(rejects(codec, forge(good_header(), c)) == "wrong audience");
  }
  SECTION("audience array") {
    c["aud"] = {"other-api", "weft-api"};
    CHECK(rejects(codec, forge(good_header(), c)) == "");
    c["aud"] = {"other-api", 7};
    CHECK(rejects(codec, forge(good_header(), c)) == "wrong audience");
    c["aud"] = json::array();
    CHECK(rejects(codec, forge(good_header(), c)) == "wrong audience");
  }
  SECTION("a codec for another issuer refuses our tokens") {
    auto s = test_settings();
    s.issuer = "https://other.test";
    auto token = codec.sign(codec.make_claims("u-1", "", {"user"}, now));
    CHECK(rejects(jwt_codec{s}, token) == "wrong issuer");
  }
}

TEST_CASE("jwt: malformed tokens", "[jwt]") {
  jwt_codec codec{test_settings()};
  auto token = codec.sign(codec.make_claims("u-1", "a@example.com", {"user"}, now));
  auto dot2 = token.rfind('.');
  CHECK(rejects(codec, "") == "malformed token");
  CHECK(rejects(codec, "abc") == "malformed token");
  CHECK(rejects(codec, "..") == "malformed token");
  CHECK(rejects(codec, token.substr(0, dot2)) == "malformed token");  // 2 segments
  CHECK(rejects(codec, token + ".x") == "malformed token");           // 4 segments
  CHECK(rejects(codec, token + std::string(9000, 'A')) == "malformed token"); // oversize
  auto claims = good_claims().dump();
  // Bad base64url in the header, and in a correctly signed payload.
  CHECK(rejects(codec, "eyJ!!!." + b64(claims) + ".sig") == "malformed token");
  auto input = b64(good_header().dump()) + ".e30=";
  CHECK(rejects(codec, input + "." + hs256(input)) == "malformed token"); // padding
  input = b64(good_header().dump()) + ".e30+";
  CHECK(rejects(codec, input + "." + hs256(input)) == "malformed token"); // '+' is not base64url
  input = b64(good_header().dump()) + ".e30xA";
  CHECK(rejects(codec, input + "." + hs256(input)) == "malformed token"); // dangling character
  input = b64(good_header().dump()) + ".e31";
  CHECK(rejects(codec, input + "." + hs256(input)) == "malformed token"); // non-zero spare bits
  // Non-JSON header and payload, and JSON that is not an object.
  CHECK(rejects(codec, forge_raw("not json", claims)) == "malformed token");
  CHECK(rejects(codec, forge_raw(good_header().dump(), "not json")) == "malformed token");
  CHECK(rejects(codec, forge_raw(good_header().dump(), "[1,2]")) == "malformed token");
  CHECK(rejects(codec, forge_raw(good_header().dump(), "{\"sub\":")) == "malformed token");
  CHECK(rejects(codec, forge_raw("[]", claims)) == "malformed token");
}

TEST_CASE("jwt: required claims must be present and typed", "[jwt]") {
  jwt_codec codec{test_settings()};
  auto without = [&](const char* name) {
    auto c = good_claims();
    c.erase(name);
    return rejects(codec, forge(good_header(), c));
  };
  auto with = [&](const char* name, json v) {
    auto c = good_claims();
    c[name] = std::move(v);
    return rejects(codec, forge(good_header(), c));
  };
  for (auto name : {"sub", "email", "jti", "roles", "iat", "nbf", "exp"})
    CHECK(without(name) == std::string{"invalid claim: "} + name);
  CHECK(with("exp", "1700000900") == "invalid claim: exp");
  CHECK(with("exp", 1'700'000'900.5) == "invalid claim: exp");
  CHECK(with("exp", uint64_t{1} << 63) == "invalid claim: exp");
  CHECK(with("iat", nullptr) == "invalid claim: iat");
  CHECK(with("sub", "") == "invalid claim: sub");
  CHECK(with("sub", 42) == "invalid claim: sub");
  CHECK(with("roles", "user") == "invalid claim: roles");
  CHECK(with("roles", {"user", 1}) == "invalid claim: roles");
  CHECK(with("roles", {"user", {"admin"}}) == "invalid claim: roles");
  CHECK(with("roles", {"user", {{"r", "admin"}}}) == "invalid claim: roles");
  CHECK(with("roles", {{"r", "admin"}}) == "invalid claim: roles");
  CHECK(with("sub", {{"id", "u-1"}}) == "invalid claim: sub");
  CHECK(with("exp", {1'700'000'900}) == "invalid claim: exp");
  CHECK(with("roles", json::array()) == "");
  CHECK(with("email", "") == "");
  // Unknown claims, however nested, are ignored.
  CHECK(with("ext", {{"sub", "root"}, {"roles", {"root"}}, {"a", {1, {2, {{"exp", 0}}}}}}) == "");
  CHECK(with("aud", {{{"weft-api", 1}}, "weft-api"}) == "");
  CHECK(with("aud", {{"weft-api"}}) == "wrong audience");
  // A claim given twice is ambiguous, whichever value would win.
  auto dup = good_claims().dump();
  dup.insert(1, R"("sub":"u-2",)");
  CHECK(rejects(codec, forge_raw(good_header().dump(), dup)) == "malformed token");
  dup = good_claims().dump();
  dup.insert(1, R"("aud":"other",)");
  CHECK(rejects(codec, forge_raw(good_header().dump(), dup)) == "malformed token");
  // The parsed claims are exactly those given.
  auto c = good_claims();
  c["roles"] = {"user", "admin"};
  c["ext"] = {{"roles", {"root"}}};
  auto r = codec.verify(forge(good_header(), c), now);
  REQUIRE(r);
  CHECK(r->sub == "u-1");
  CHECK(r->email == "a@example.com");
  CHECK(r->jti == "j-1");
  CHECK(r->roles == std::vector<std::string>{"user", "admin"});
  CHECK(r->iat == 1'700'000'000);
  CHECK(r->exp == 1'700'000'900);
}

TEST_CASE("jwt: verify is const and safe from many threads", "[jwt]") {
  const jwt_codec codec{test_settings()};
  auto token = codec.sign(codec.make_claims("u-1", "a@example.com", {"user"}, now));
  auto forged = forge(good_header(), good_claims(), "wrong key");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i)
        if (!codec.verify(token, now) || codec.verify(forged, now))
          ++failures;
    });
  for (auto& t : threads)
    t.join();
  CHECK(failures == 0);
}

TEST_CASE("jwt: verify and sign timing", "[jwt][timing]") {
  jwt_codec codec{test_settings()};
  auto token = codec.sign(codec.make_claims("0190a4d2-7c1e-7b3a-9f2e-3c4d5e6f7a8b",
                                            "someone@example.com", {"user", "admin"}, now));
  auto time_ns = [](int n, auto&& f) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i)
      f();
    auto t1 = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / n;
  };
  constexpr int n = 20000;
  int ok = 0;
  auto verify_ns = time_ns(n, [&] { ok += codec.verify(token, now) ? 1 : 0; });
  CHECK(ok == n);
  auto bad = token;
  bad[bad.size() - 3] = bad[bad.size() - 3] == 'A' ? 'B' : 'A';
  auto bad_sig_ns = time_ns(n, [&] { ok += codec.verify(bad, now) ? 1 : 0; });
  auto sign_ns = time_ns(n, [&] {
    ok += codec.sign(codec.make_claims("u", "e@example.com", {"user"}, now)).empty() ? 0 : 1;
  });
  WARN("jwt (" << token.size() << " chars): verify " << static_cast<long>(verify_ns)
               << " ns, reject bad signature " << static_cast<long>(bad_sig_ns)
               << " ns, make_claims+sign " << static_cast<long>(sign_ns) << " ns");
}
