// SCRAM-SHA-256 message parsing and proofs for ScramServer and ScramClient.
#include "frontends/pgwire/scram_exchange.h"

#include <charconv>
#include <utility>
#include <vector>

#include "frontends/pgwire/protocol.h"

namespace domicile::pgwire {
namespace {

constexpr size_t kNonceBytes = 18;  // as PostgreSQL's SCRAM_RAW_NONCE_LEN
// A hostile server must not make the router spin on PBKDF2 for minutes.
constexpr int kMaxClientIterations = 10'000'000;

Status Malformed(std::string_view why) {
  return InvalidArgument("malformed SCRAM message: " + std::string(why));
}

// Splits "a=1,b=2" into attributes, each checked to be <letter>=<value>.
Result<std::vector<std::string_view>> SplitAttributes(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t comma = s.find(',');
    std::string_view attr = s.substr(0, comma);
    bool letter =
        !attr.empty() && ((attr[0] >= 'a' && attr[0] <= 'z') || (attr[0] >= 'A' && attr[0] <= 'Z'));
    if (!letter || attr.size() < 2 || attr[1] != '=') {
      return Malformed("attribute '" + std::string(attr.substr(0, 16)) + "' is not x=value");
    }
    out.push_back(attr);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// The value of `attr` when it is `name`=value.
bool Value(std::string_view attr, char name, std::string_view* value) {
  if (attr.size() < 2 || attr[0] != name) return false;
  *value = attr.substr(2);
  return true;
}

bool IsValidNonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

Result<std::string> RandomNonce() {
  Result<std::string> raw = RandomBytes(kNonceBytes);
  if (!raw.ok()) return raw.status();
  return Base64Encode(*raw);
}

Sha256Digest Xor(const Sha256Digest& a, const Sha256Digest& b) {
  Sha256Digest out;
  for (size_t i = 0; i < out.size(); ++i) out[i] = a[i] ^ b[i];
  return out;
}

// RFC 5802 saslname: '=' and ',' are escaped.
std::string EscapeUser(std::string_view user) {
  std::string out;
  for (char c : user) {
    if (c == '=') {
      out += "=3D";
    } else if (c == ',') {
      out += "=2C";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string_view ScramFailureSqlState(const Status& status) {
  switch (status.code()) {
    case StatusCode::kPolicyRefused:
      return kSqlStateInvalidPassword;
    case StatusCode::kInternal:
      return "XX000";
    default:
      return kSqlStateProtocolViolation;
  }
}

ScramServer::ScramServer(ScramVerifier verifier, std::string server_nonce)
    : verifier_(std::move(verifier)), server_nonce_(std::move(server_nonce)) {}

ScramVerifier ScramServer::MockVerifier(std::string_view username, std::string_view mock_secret) {
  Sha256Digest key = Sha256(mock_secret);
  ScramVerifier v;
  v.salt =
      std::string(AsBytes(HmacSha256(key, std::string(username) + '\0' + "salt")).substr(0, 16));
  v.stored_key = HmacSha256(key, std::string(username) + '\0' + "stored");
  v.server_key = HmacSha256(key, std::string(username) + '\0' + "server");
  return v;
}

Result<std::string> ScramServer::HandleClientFirst(std::string_view msg) {
  if (state_ != State::kInit) return Malformed("unexpected client-first-message");
  state_ = State::kDone;  // until it succeeds
  if (msg.empty()) return Malformed("empty client-first-message");
  if (msg[0] == 'p') {
    return InvalidArgument(
        "SCRAM channel binding is not supported; connect with "
        "channel_binding=disable or prefer");
  }
  if ((msg[0] != 'n' && msg[0] != 'y') || msg.size() < 3 || msg[1] != ',') {
    return Malformed("bad GS2 header");
  }
  if (msg[2] != ',') {
    if (msg.substr(2).starts_with("a=")) {
      return InvalidArgument("SCRAM authorization identity is not supported");
    }
    return Malformed("bad GS2 header");
  }
  gs2_header_ = std::string(msg.substr(0, 3));
  std::string_view bare = msg.substr(3);
  Result<std::vector<std::string_view>> attrs = SplitAttributes(bare);
  if (!attrs.ok()) return attrs.status();
  std::string_view ignored_user;
  std::string_view client_nonce;
  if ((*attrs)[0].starts_with("m=")) {
    return InvalidArgument("unsupported SCRAM mandatory extension");
  }
  if (attrs->size() < 2 || !Value((*attrs)[0], 'n', &ignored_user) ||
      !Value((*attrs)[1], 'r', &client_nonce) || !IsValidNonce(client_nonce)) {
    return Malformed("expected n=<user>,r=<nonce>");
  }
  if (server_nonce_.empty()) {
    Result<std::string> nonce = RandomNonce();
    if (!nonce.ok()) return nonce.status();
    server_nonce_ = std::move(nonce).value();
  }
  client_first_bare_ = std::string(bare);
  nonce_ = std::string(client_nonce) + server_nonce_;
  server_first_ = "r=" + nonce_ + ",s=" + Base64Encode(verifier_.salt) +
                  ",i=" + std::to_string(verifier_.iterations);
  state_ = State::kSentServerFirst;
  return server_first_;
}

Result<std::string> ScramServer::HandleClientFinal(std::string_view msg) {
  if (state_ != State::kSentServerFirst) return Malformed("unexpected client-final-message");
  state_ = State::kDone;  // one attempt per exchange
  size_t at = msg.rfind(",p=");
  if (at == std::string_view::npos) return Malformed("client proof missing");
  std::string_view without_proof = msg.substr(0, at);
  Result<std::vector<std::string_view>> attrs = SplitAttributes(without_proof);
  if (!attrs.ok()) return attrs.status();
  std::string_view binding;
  std::string_view nonce;
  if (attrs->size() < 2 || !Value((*attrs)[0], 'c', &binding) || !Value((*attrs)[1], 'r', &nonce)) {
    return Malformed("expected c=<binding>,r=<nonce>");
  }
  Result<std::string> binding_raw = Base64Decode(binding);
  if (!binding_raw.ok() || *binding_raw != gs2_header_) {
    return InvalidArgument("SCRAM channel binding check failed");
  }
  if (nonce != nonce_) return InvalidArgument("SCRAM nonce mismatch");
  Result<std::string> proof = Base64Decode(msg.substr(at + 3));
  if (!proof.ok() || proof->size() != 32) return Malformed("client proof is not 32 bytes");

  std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  Sha256Digest client_signature = HmacSha256(verifier_.stored_key, auth_message);
  Sha256Digest client_key;
  for (size_t i = 0; i < client_key.size(); ++i) {
    client_key[i] = static_cast<unsigned char>((*proof)[i]) ^ client_signature[i];
  }
  if (!ConstantTimeEqual(AsBytes(Sha256(AsBytes(client_key))), AsBytes(verifier_.stored_key))) {
    return PolicyRefused("password authentication failed");
  }
  return "v=" + Base64Encode(AsBytes(HmacSha256(verifier_.server_key, auth_message)));
}

ScramClient::ScramClient(std::string password, std::string username, std::string client_nonce)
    : password_(std::move(password)),
      username_(std::move(username)),
      client_nonce_(std::move(client_nonce)) {}

Result<std::string> ScramClient::ClientFirst() {
  if (state_ != State::kInit) return Malformed("client-first-message already sent");
  if (client_nonce_.empty()) {
    Result<std::string> nonce = RandomNonce();
    if (!nonce.ok()) return nonce.status();
    client_nonce_ = std::move(nonce).value();
  }
  client_first_bare_ = "n=" + EscapeUser(username_) + ",r=" + client_nonce_;
  state_ = State::kSentClientFirst;
  return "n,," + client_first_bare_;
}

Result<std::string> ScramClient::HandleServerFirst(std::string_view msg) {
  if (state_ != State::kSentClientFirst) return Malformed("unexpected server-first-message");
  state_ = State::kDone;
  Result<std::vector<std::string_view>> attrs = SplitAttributes(msg);
  if (!attrs.ok()) return attrs.status();
  std::string_view nonce;
  std::string_view salt_b64;
  std::string_view iter_text;
  if (attrs->size() < 3 || !Value((*attrs)[0], 'r', &nonce) ||
      !Value((*attrs)[1], 's', &salt_b64) || !Value((*attrs)[2], 'i', &iter_text)) {
    return Malformed("expected r=<nonce>,s=<salt>,i=<iterations>");
  }
  if (!nonce.starts_with(client_nonce_) || nonce.size() == client_nonce_.size() ||
      !IsValidNonce(nonce)) {
    return InvalidArgument("SCRAM server nonce does not extend the client nonce");
  }
  Result<std::string> salt = Base64Decode(salt_b64);
  if (!salt.ok() || salt->empty()) return Malformed("bad salt");
  int iterations = 0;
  auto [end, ec] =
      std::from_chars(iter_text.data(), iter_text.data() + iter_text.size(), iterations);
  if (ec != std::errc() || end != iter_text.data() + iter_text.size() || iterations < 1 ||
      iterations > kMaxClientIterations) {
    return Malformed("bad iteration count");
  }

  std::string without_proof = "c=biws,r=" + std::string(nonce);  // biws = base64("n,,")
  std::string auth_message = client_first_bare_ + "," + std::string(msg) + "," + without_proof;
  Sha256Digest salted = ScramSaltedPassword(password_, *salt, iterations);
  Sha256Digest client_key = HmacSha256(salted, "Client Key");
  Sha256Digest stored_key = Sha256(AsBytes(client_key));
  Sha256Digest proof = Xor(client_key, HmacSha256(stored_key, auth_message));
  expected_server_signature_ = HmacSha256(HmacSha256(salted, "Server Key"), auth_message);
  state_ = State::kSentClientFinal;
  return without_proof + ",p=" + Base64Encode(AsBytes(proof));
}

Status ScramClient::HandleServerFinal(std::string_view msg) {
  if (state_ != State::kSentClientFinal) return Malformed("unexpected server-final-message");
  state_ = State::kDone;
  std::string_view value;
  std::string_view first = msg.substr(0, msg.find(','));
  if (Value(first, 'e', &value)) {
    return PolicyRefused("server refused SCRAM authentication: " + std::string(value));
  }
  if (!Value(first, 'v', &value)) return Malformed("expected v=<signature>");
  Result<std::string> signature = Base64Decode(value);
  if (!signature.ok()) return Malformed("bad server signature");
  if (!ConstantTimeEqual(*signature, AsBytes(expected_server_signature_))) {
    return PolicyRefused(
        "SCRAM server signature does not match: the server does not know "
        "the password");
  }
  return Status::Ok();
}

}  // namespace domicile::pgwire
