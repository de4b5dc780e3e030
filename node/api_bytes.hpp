// Messages to and from the bytes of a raw gRPC call (the client API registers its methods raw,
// node/api_service.hpp, so that it can answer a request that does not parse).
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <string>

namespace sharechain::node {

// Reads `bytes` as a T; false when they do not parse (truncated, or not a T at all).
template <class T>
bool parse_bytes(const grpc::ByteBuffer& bytes, T& message) {
  grpc::ByteBuffer copy(bytes);  // shares the slices; deserializing consumes the buffer it reads
  return grpc::SerializationTraits<T>::Deserialize(&copy, &message).ok();
}

template <class T>
grpc::ByteBuffer to_bytes(const T& message) {
  grpc::ByteBuffer out;
  bool own_buffer = false;
  grpc::SerializationTraits<T>::Serialize(message, &out, &own_buffer);
  return out;
}

// INVALID_ARGUMENT for bytes that are not a `T`; `what` says where they came from ("the
// request", "message 3 of this stream").
template <class T>
grpc::Status unparsable(const std::string& what, const grpc::ByteBuffer& bytes) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      what + " is not a valid " + T::descriptor()->full_name() + " (" +
                          std::to_string(bytes.Length()) +
                          " bytes that do not parse: truncated, or another message type); nothing "
                          "was done. Check that the client sends this method's message, whole");
}

}  // namespace sharechain::node
