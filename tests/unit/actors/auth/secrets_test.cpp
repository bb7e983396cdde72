#include <catch2/catch.hpp>

#include <set>

#include "actors/auth/secrets.hpp"

using namespace weft::auth;

TEST_CASE("random_token has the base64url length and alphabet", "[secrets]") {
  CHECK(random_token().size() == 43); // 32 bytes
  CHECK(random_token(16).size() == 22);
  CHECK(random_token(1).size() == 2);
  CHECK(random_token(3).size() == 4);
  CHECK(random_token(0).empty());
  CHECK(random_token(100).size() == 134); // past the stack buffer
  auto t = random_token(48);
  CHECK(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        == std::string::npos);
}

TEST_CASE("random_token does not repeat", "[secrets]") {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i)
    seen.insert(random_token(16));
  CHECK(seen.size() == 10000);
}

TEST_CASE("secret_hash is SHA-256 hex and stable", "[secrets]") {
  CHECK(secret_hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(secret_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto t = random_token();
  CHECK(secret_hash(t) == secret_hash(t));
  CHECK(secret_hash(t).size() == 64);
  CHECK(secret_hash(t) != secret_hash(t + "x"));
}

TEST_CASE("constant_time_equal compares contents and lengths", "[secrets]") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
  CHECK_FALSE(constant_time_equal("", "a"));
  std::string a(100, 'x'), b(100, 'x');
  b[99] = 'y';
  CHECK_FALSE(constant_time_equal(a, b));
}
