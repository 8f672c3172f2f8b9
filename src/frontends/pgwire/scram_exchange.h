// The SCRAM-SHA-256 exchange (RFC 5802/7677) as PostgreSQL runs it: server and client sides.
#pragma once

#include <string>
#include <string_view>

#include "domain/status.h"
#include "frontends/pgwire/scram.h"

namespace domicile::pgwire {

// Status codes of a failed exchange: kPolicyRefused = the proof did not match (send
// SQLSTATE 28P01, "password authentication failed"); kInvalidArgument = a malformed or
// unsupported message (08P01); kInternal = the random source failed.
std::string_view ScramFailureSqlState(const Status& status);

// The server side for one login. Channel binding is not offered: a client-first with gs2
// flag 'n' or 'y' is accepted, 'p=' (and an authzid) refused. Single use; not thread-safe.
class ScramServer {
 public:
  // `server_nonce` is for tests; empty means 18 random bytes, base64 (as PostgreSQL).
  explicit ScramServer(ScramVerifier verifier, std::string server_nonce = {});

  // A verifier for a user that does not exist: the exchange runs normally and fails at the
  // proof, with a salt stable per (user, secret), so probing cannot tell users apart.
  static ScramVerifier MockVerifier(std::string_view username, std::string_view mock_secret);

  // The SASLInitialResponse data -> the server-first-message (AuthenticationSASLContinue).
  Result<std::string> HandleClientFirst(std::string_view client_first);
  // The SASLResponse data -> the server-final-message (AuthenticationSASLFinal). A wrong
  // password is kPolicyRefused.
  Result<std::string> HandleClientFinal(std::string_view client_final);

 private:
  enum class State { kInit, kSentServerFirst, kDone };

  ScramVerifier verifier_;
  std::string server_nonce_;
  State state_ = State::kInit;
  std::string gs2_header_;  // "n,," or "y,,"
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;  // client nonce + server nonce
};

// The client side, for the router logging in to a server. Single use; not thread-safe.
class ScramClient {
 public:
  // PostgreSQL ignores the SCRAM user name (the startup user counts), so it may be empty.
  // `client_nonce` is for tests; empty means 18 random bytes, base64.
  explicit ScramClient(std::string password, std::string username = {},
                       std::string client_nonce = {});

  // The client-first-message, for SASLInitialResponse.
  Result<std::string> ClientFirst();
  // The server-first-message (AuthenticationSASLContinue) -> client-final (SASLResponse).
  Result<std::string> HandleServerFirst(std::string_view server_first);
  // The server-final-message (AuthenticationSASLFinal): ok only if the server proved it
  // knows the verifier. A server error ("e=") is kPolicyRefused.
  Status HandleServerFinal(std::string_view server_final);

 private:
  enum class State { kInit, kSentClientFirst, kSentClientFinal, kDone };

  std::string password_;
  std::string username_;
  std::string client_nonce_;
  State state_ = State::kInit;
  std::string client_first_bare_;
  Sha256Digest expected_server_signature_{};
};

}  // namespace domicile::pgwire
