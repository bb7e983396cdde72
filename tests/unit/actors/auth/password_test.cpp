#include <catch2/catch.hpp>

#include <chrono>

#include "actors/auth/password.hpp"
#include "runtime/api_error.hpp"

using namespace weft::auth;

TEST_CASE("hash_password makes a PHC Argon2id string with the requested cost", "[password]") {
  auto t0 = std::chrono::steady_clock::now();
  auto h = hash_password("correct horse battery staple", password_params{});
  auto t1 = std::chrono::steady_clock::now();
  REQUIRE(h);
  WARN("one Argon2id hash (m=19456 KiB, t=2, p=1): "
       << std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0).count() << " ms");
  CHECK(h->rfind("$argon2id$v=19$", 0) == 0);
  CHECK(h->find("m=19456") != std::string::npos);
  CHECK(h->find("t=2") != std::string::npos);
  CHECK(h->find("p=1") != std::string::npos);
  // A fresh salt each time.
  auto h2 = hash_password("correct horse battery staple", password_params{});
  REQUIRE(h2);
  CHECK(*h != *h2);
}

TEST_CASE("verify_password accepts the right password only", "[password]") {
  // Cheap parameters keep the test quick; the code path is the same.
  password_params cheap{8192, 1};
  auto h = hash_password("s3cret-Password", cheap);
  REQUIRE(h);
  CHECK(h->find("m=8192,t=1") != std::string::npos);
  CHECK(verify_password("s3cret-Password", *h));
  CHECK_FALSE(verify_password("s3cret-password", *h));
  CHECK_FALSE(verify_password("", *h));
  CHECK_FALSE(verify_password("s3cret-Password ", *h));
  auto empty = hash_password("", cheap);
  REQUIRE(empty);
  CHECK(verify_password("", *empty));
  CHECK_FALSE(verify_password("x", *empty));
}

TEST_CASE("verify_password is false for malformed hashes", "[password]") {
  auto h = hash_password("pw", password_params{8192, 1});
  REQUIRE(h);
  CHECK_FALSE(verify_password("pw", ""));
  CHECK_FALSE(verify_password("pw", "not a hash"));
  CHECK_FALSE(verify_password("pw", "$argon2id$"));
  CHECK_FALSE(verify_password("pw", h->substr(0, h->size() - 5)));
  CHECK_FALSE(verify_password("pw", *h + "AAAA"));
  CHECK_FALSE(verify_password("pw", std::string(500, 'a')));
  // Same hash under another algorithm's name: refused, not downgraded.
  auto argon2i = "$argon2i$" + h->substr(10);
  CHECK_FALSE(verify_password("pw", argon2i));
  auto with_nul = *h;
  with_nul.insert(with_nul.begin() + 20, '\0');
  CHECK_FALSE(verify_password("pw", with_nul));
  auto flipped = *h;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(verify_password("pw", flipped));
}

TEST_CASE("hash_password reports libsodium failure as an error", "[password]") {
  // Below libsodium's minimum memory (8 KiB): crypto_pwhash refuses.
  auto h = hash_password("pw", password_params{1, 1});
  REQUIRE_FALSE(h);
  CHECK(h.error().category() == caf::atom("api"));
  CHECK(h.error().code() == static_cast<uint8_t>(weft::api_errc::internal));
}

TEST_CASE("dummy_hash is a valid, cached hash with the given parameters", "[password]") {
  password_params cheap{8192, 1};
  const auto& d = dummy_hash(cheap);
  REQUIRE_FALSE(d.empty());
  CHECK(d.rfind("$argon2id$v=19$m=8192,t=1,p=1$", 0) == 0);
  CHECK(&dummy_hash(cheap) == &d);
  CHECK_FALSE(verify_password("", d));
  CHECK_FALSE(verify_password("password", d));
  const auto& other = dummy_hash(password_params{8192, 2});
  CHECK(other.find("t=2") != std::string::npos);
  CHECK(&other != &d);
}
