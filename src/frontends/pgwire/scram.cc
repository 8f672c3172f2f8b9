// SCRAM-SHA-256 primitives and PostgreSQL's verifier format, on OpenSSL.
#include "frontends/pgwire/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <charconv>
#include <cstring>

namespace domicile::pgwire {
namespace {

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

Result<Sha256Digest> DecodeKey(std::string_view b64, std::string_view what) {
  Result<std::string> raw = Base64Decode(b64);
  if (!raw.ok() || raw->size() != 32) {
    return InvalidArgument("SCRAM verifier: " + std::string(what) + " is not 32 base64 bytes");
  }
  Sha256Digest d;
  std::memcpy(d.data(), raw->data(), 32);
  return d;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : size_t(n));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return InvalidArgument("base64 length is not a multiple of 4");
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  for (size_t i = 0; i < text.size() - pad; ++i) {
    if (!IsBase64Char(text[i])) return InvalidArgument("invalid base64 character");
  }
  std::string out(3 * (text.size() / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0 || size_t(n) < pad) return InvalidArgument("invalid base64");
  out.resize(size_t(n) - pad);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return Internal("the random source failed");
  }
  return out;
}

Sha256Digest ScramSaltedPassword(std::string_view password, std::string_view salt, int iterations) {
  Sha256Digest out{};
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, EVP_sha256(),
                    static_cast<int>(out.size()), out.data());
  return out;
}

Sha256Digest HmacSha256(const Sha256Digest& key, std::string_view data) {
  Sha256Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest out{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<ScramVerifier> ParseScramVerifier(std::string_view text) {
  // SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
  std::string prefix = std::string(kScramSha256) + "$";
  if (!text.starts_with(prefix)) return InvalidArgument("not a SCRAM-SHA-256 verifier");
  text.remove_prefix(prefix.size());
  size_t dollar = text.find('$');
  if (dollar == std::string_view::npos) return InvalidArgument("SCRAM verifier: missing keys");
  std::string_view params = text.substr(0, dollar);
  std::string_view keys = text.substr(dollar + 1);
  size_t colon1 = params.find(':');
  size_t colon2 = keys.find(':');
  if (colon1 == std::string_view::npos || colon2 == std::string_view::npos) {
    return InvalidArgument("SCRAM verifier: malformed");
  }
  ScramVerifier v;
  std::string_view iter = params.substr(0, colon1);
  auto [end, ec] = std::from_chars(iter.data(), iter.data() + iter.size(), v.iterations);
  if (ec != std::errc() || end != iter.data() + iter.size() || v.iterations < 1) {
    return InvalidArgument("SCRAM verifier: bad iteration count");
  }
  Result<std::string> salt = Base64Decode(params.substr(colon1 + 1));
  if (!salt.ok() || salt->empty()) return InvalidArgument("SCRAM verifier: bad salt");
  v.salt = std::move(salt).value();
  Result<Sha256Digest> stored = DecodeKey(keys.substr(0, colon2), "StoredKey");
  if (!stored.ok()) return stored.status();
  Result<Sha256Digest> server = DecodeKey(keys.substr(colon2 + 1), "ServerKey");
  if (!server.ok()) return server.status();
  v.stored_key = *stored;
  v.server_key = *server;
  return v;
}

std::string FormatScramVerifier(const ScramVerifier& v) {
  return std::string(kScramSha256) + "$" + std::to_string(v.iterations) + ":" +
         Base64Encode(v.salt) + "$" + Base64Encode(AsBytes(v.stored_key)) + ":" +
         Base64Encode(AsBytes(v.server_key));
}

Result<ScramVerifier> MakeScramVerifier(std::string_view password, int iterations,
                                        std::string_view salt) {
  if (iterations < 1) return InvalidArgument("SCRAM iterations must be at least 1");
  ScramVerifier v;
  v.iterations = iterations;
  if (salt.empty()) {
    Result<std::string> random = RandomBytes(kScramDefaultSaltLength);
    if (!random.ok()) return random.status();
    v.salt = std::move(random).value();
  } else {
    v.salt = std::string(salt);
  }
  Sha256Digest salted = ScramSaltedPassword(password, v.salt, iterations);
  v.stored_key = Sha256(AsBytes(HmacSha256(salted, "Client Key")));
  v.server_key = HmacSha256(salted, "Server Key");
  return v;
}

}  // namespace domicile::pgwire
