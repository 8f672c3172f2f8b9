// SCRAM-SHA-256 building blocks: PostgreSQL's stored verifier, key derivation, base64.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "domain/status.h"

namespace domicile::pgwire {

inline constexpr std::string_view kScramSha256 = "SCRAM-SHA-256";
inline constexpr int kScramDefaultIterations = 4096;  // PostgreSQL's scram_iterations default
inline constexpr size_t kScramDefaultSaltLength = 16;

using Sha256Digest = std::array<unsigned char, 32>;

// What a server stores instead of a password, as in pg_authid.rolpassword:
// "SCRAM-SHA-256$<iterations>:<salt base64>$<StoredKey base64>:<ServerKey base64>".
struct ScramVerifier {
  int iterations = kScramDefaultIterations;
  std::string salt;  // raw bytes
  Sha256Digest stored_key{};
  Sha256Digest server_key{};
  bool operator==(const ScramVerifier&) const = default;
};

// kInvalidArgument (with the reason, never the secret) when `text` is not a well-formed
// SCRAM-SHA-256 verifier.
Result<ScramVerifier> ParseScramVerifier(std::string_view text);
std::string FormatScramVerifier(const ScramVerifier& verifier);

// Derives a verifier for `password` (for config tooling and tests). An empty `salt` means
// kScramDefaultSaltLength random bytes. The password is used as its bytes, without
// SASLprep: the same result as PostgreSQL for ASCII passwords (and any password SASLprep
// leaves unchanged). kInternal if the random source fails; kInvalidArgument if
// iterations < 1.
Result<ScramVerifier> MakeScramVerifier(std::string_view password,
                                        int iterations = kScramDefaultIterations,
                                        std::string_view salt = {});

// The primitives of RFC 5802, over SHA-256.
Sha256Digest ScramSaltedPassword(std::string_view password, std::string_view salt, int iterations);
Sha256Digest HmacSha256(const Sha256Digest& key, std::string_view data);
Sha256Digest Sha256(std::string_view data);
// Constant-time equality (a timing difference would leak how much of a key matched).
bool ConstantTimeEqual(std::string_view a, std::string_view b);
inline std::string_view AsBytes(const Sha256Digest& d) {
  return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

// Standard base64 with padding. Decode is strict: only the alphabet, length a multiple of
// four, '=' only as padding; anything else is kInvalidArgument.
std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

// `n` bytes from OpenSSL's CSPRNG, or kInternal if it cannot supply them.
Result<std::string> RandomBytes(size_t n);

}  // namespace domicile::pgwire
