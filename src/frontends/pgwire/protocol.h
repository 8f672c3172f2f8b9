// Constants of the PostgreSQL v3 wire protocol shared by the decoders and encoders.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace domicile::pgwire {

// Codes of the untyped startup-phase packets (length, then this int32).
inline constexpr int32_t kProtocolVersion3 = 196608;  // 3 << 16 | 0
inline constexpr int32_t kCancelRequestCode = 80877102;
inline constexpr int32_t kSslRequestCode = 80877103;
inline constexpr int32_t kGssEncRequestCode = 80877104;

// Frontend message type bytes (client -> server).
namespace fe {
inline constexpr char kQuery = 'Q';
inline constexpr char kParse = 'P';
inline constexpr char kBind = 'B';
inline constexpr char kDescribe = 'D';
inline constexpr char kExecute = 'E';
inline constexpr char kSync = 'S';
inline constexpr char kFlush = 'H';
inline constexpr char kClose = 'C';
inline constexpr char kCopyData = 'd';
inline constexpr char kCopyDone = 'c';
inline constexpr char kCopyFail = 'f';
inline constexpr char kTerminate = 'X';
inline constexpr char kPassword = 'p';  // PasswordMessage, SASLInitialResponse, SASLResponse
inline constexpr char kFunctionCall = 'F';
}  // namespace fe

// Backend message type bytes (server -> client).
namespace be {
inline constexpr char kAuthentication = 'R';
inline constexpr char kParameterStatus = 'S';
inline constexpr char kBackendKeyData = 'K';
inline constexpr char kReadyForQuery = 'Z';
inline constexpr char kRowDescription = 'T';
inline constexpr char kDataRow = 'D';
inline constexpr char kCommandComplete = 'C';
inline constexpr char kEmptyQueryResponse = 'I';
inline constexpr char kErrorResponse = 'E';
inline constexpr char kNoticeResponse = 'N';
inline constexpr char kParseComplete = '1';
inline constexpr char kBindComplete = '2';
inline constexpr char kCloseComplete = '3';
inline constexpr char kNoData = 'n';
inline constexpr char kParameterDescription = 't';
inline constexpr char kPortalSuspended = 's';
inline constexpr char kCopyInResponse = 'G';
inline constexpr char kCopyOutResponse = 'H';
inline constexpr char kCopyBothResponse = 'W';
inline constexpr char kCopyData = 'd';
inline constexpr char kCopyDone = 'c';
inline constexpr char kNegotiateProtocolVersion = 'v';
inline constexpr char kNotificationResponse = 'A';
}  // namespace be

// Subtypes of the backend Authentication ('R') message.
enum class AuthCode : int32_t {
  kOk = 0,
  kCleartextPassword = 3,
  kMd5Password = 5,
  kSasl = 10,
  kSaslContinue = 11,
  kSaslFinal = 12,
};

// The transaction status carried by ReadyForQuery.
enum class TransactionStatus : char {
  kIdle = 'I',
  kInTransaction = 'T',
  kFailed = 'E',
};

// 'S'tatement or 'P'ortal, the target of Describe and Close.
enum class DescribeTarget : char {
  kStatement = 'S',
  kPortal = 'P',
};

// SQLSTATEs the codec's callers send for codec failures.
inline constexpr std::string_view kSqlStateProtocolViolation = "08P01";
inline constexpr std::string_view kSqlStateInvalidPassword = "28P01";
inline constexpr std::string_view kSqlStateInvalidAuthorization = "28000";

// Limits on what a peer may make us buffer. PostgreSQL itself caps the startup packet at
// 10000 bytes and "small" message types at 10000 bytes (PQ_SMALL_MESSAGE_LIMIT).
inline constexpr size_t kDefaultMaxStartupPacket = 10000;
inline constexpr size_t kDefaultMaxMessage = size_t{64} << 20;
inline constexpr size_t kDefaultMaxSmallMessage = 10000;

// The 4-byte int32 length that opens every message counts itself.
inline constexpr size_t kLengthSize = 4;

}  // namespace domicile::pgwire
