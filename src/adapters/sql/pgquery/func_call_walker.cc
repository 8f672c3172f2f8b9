// Descriptor-driven walk over protobuf-c messages, used to find function calls anywhere.
#include "adapters/sql/pgquery/func_call_walker.h"

#include <vector>

namespace domicile::pgquery {
namespace {

template <typename T>
const T& FieldAt(const ProtobufCMessage* message, unsigned offset) {
  return *reinterpret_cast<const T*>(reinterpret_cast<const char*>(message) + offset);
}

}  // namespace

void ForEachFuncCall(const PgQuery__Node* root,
                     const std::function<void(const PgQuery__FuncCall&)>& visit) {
  if (root == nullptr) return;
  std::vector<const ProtobufCMessage*> pending{&root->base};
  while (!pending.empty()) {
    const ProtobufCMessage* message = pending.back();
    pending.pop_back();
    const ProtobufCMessageDescriptor* descriptor = message->descriptor;
    if (descriptor == &pg_query__func_call__descriptor) {
      visit(*reinterpret_cast<const PgQuery__FuncCall*>(message));
    }
    for (unsigned i = 0; i < descriptor->n_fields; ++i) {
      const ProtobufCFieldDescriptor& field = descriptor->fields[i];
      if (field.type != PROTOBUF_C_TYPE_MESSAGE) continue;
      if (field.label == PROTOBUF_C_LABEL_REPEATED) {
        size_t count = FieldAt<size_t>(message, field.quantifier_offset);
        ProtobufCMessage* const* items = FieldAt<ProtobufCMessage**>(message, field.offset);
        for (size_t j = 0; j < count; ++j) {
          if (items[j] != nullptr) pending.push_back(items[j]);
        }
        continue;
      }
      // Members of a oneof share storage: only the active one may be read.
      if ((field.flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0 &&
          FieldAt<uint32_t>(message, field.quantifier_offset) != field.id) {
        continue;
      }
      const ProtobufCMessage* child = FieldAt<ProtobufCMessage*>(message, field.offset);
      if (child != nullptr) pending.push_back(child);
    }
  }
}

}  // namespace domicile::pgquery
