// Decoders for the few backend messages the router must understand (the rest it forwards).
#pragma once

#include "domain/status.h"
#include "frontends/pgwire/backend_frame_reader.h"
#include "frontends/pgwire/backend_messages.h"

namespace domicile::pgwire {

// Each checks the frame's type byte and validates the whole body (no trailing bytes);
// malformed input is kInvalidArgument, never a crash. Views point into the frame.

Result<AuthenticationRequest> ParseAuthentication(const BackendFrame& frame);
Result<ParameterStatus> ParseParameterStatus(const BackendFrame& frame);
Result<BackendKeyData> ParseBackendKeyData(const BackendFrame& frame);
Result<ReadyForQuery> ParseReadyForQuery(const BackendFrame& frame);
Result<RowDescription> ParseRowDescription(const BackendFrame& frame);
Result<DataRow> ParseDataRow(const BackendFrame& frame);
Result<CommandComplete> ParseCommandComplete(const BackendFrame& frame);
Result<ParameterDescription> ParseParameterDescription(const BackendFrame& frame);
// CopyInResponse, CopyOutResponse or CopyBothResponse.
Result<CopyResponse> ParseCopyResponse(const BackendFrame& frame);
// ErrorResponse or NoticeResponse.
Result<ErrorFields> ParseErrorFields(const BackendFrame& frame);

// For the messages without a body (ParseComplete, NoData, ...): ok when `frame` is of
// `type` with an empty body.
Status CheckEmptyMessage(const BackendFrame& frame, char type);

}  // namespace domicile::pgwire
