#include "node/reflection_v1.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <set>

namespace sharechain::node {

namespace {

namespace rv1 = grpc::reflection::v1;
using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;

// A stream sends each file once: a client that asked for a file holds its imports already.
class Answerer {
 public:
  explicit Answerer(const std::vector<std::string>& services) : services_(services) {}

  rv1::ServerReflectionResponse answer(const rv1::ServerReflectionRequest& req) {
    rv1::ServerReflectionResponse resp;
    resp.set_valid_host(req.host());
    *resp.mutable_original_request() = req;
    const DescriptorPool* pool = DescriptorPool::generated_pool();
    switch (req.message_request_case()) {
      case rv1::ServerReflectionRequest::kListServices:
        for (const std::string& name : services_) {
          resp.mutable_list_services_response()->add_service()->set_name(name);
        }
        break;
      case rv1::ServerReflectionRequest::kFileByFilename:
        send_file(pool->FindFileByName(req.file_by_filename()), "no file named '" + req.file_by_filename() + "'",
                  resp);
        break;
      case rv1::ServerReflectionRequest::kFileContainingSymbol:
        send_file(pool->FindFileContainingSymbol(req.file_containing_symbol()),
                  "no symbol named '" + req.file_containing_symbol() + "'", resp);
        break;
      case rv1::ServerReflectionRequest::kFileContainingExtension: {
        const auto& ext = req.file_containing_extension();
        const auto* type = pool->FindMessageTypeByName(ext.containing_type());
        const auto* field = type ? pool->FindExtensionByNumber(type, ext.extension_number()) : nullptr;
        send_file(field ? field->file() : nullptr,
                  "no extension " + std::to_string(ext.extension_number()) + " of '" + ext.containing_type() + "'",
                  resp);
        break;
      }
      case rv1::ServerReflectionRequest::kAllExtensionNumbersOfType: {
        const auto* type = pool->FindMessageTypeByName(req.all_extension_numbers_of_type());
        if (!type) {
          error(grpc::StatusCode::NOT_FOUND, "no message type named '" + req.all_extension_numbers_of_type() + "'",
                resp);
          break;
        }
        std::vector<const google::protobuf::FieldDescriptor*> extensions;
        pool->FindAllExtensions(type, &extensions);
        auto* out = resp.mutable_all_extension_numbers_response();
        out->set_base_type_name(type->full_name());
        for (const auto* f : extensions) out->add_extension_number(f->number());
        break;
      }
      default:
        error(grpc::StatusCode::INVALID_ARGUMENT, "the request names nothing to look up", resp);
    }
    return resp;
  }

 private:
  static void error(grpc::StatusCode code, const std::string& message, rv1::ServerReflectionResponse& resp) {
    resp.mutable_error_response()->set_error_code(static_cast<int>(code));
    resp.mutable_error_response()->set_error_message(message);
  }

  void send_file(const FileDescriptor* file, const std::string& missing, rv1::ServerReflectionResponse& resp) {
    if (!file) {
      error(grpc::StatusCode::NOT_FOUND, missing, resp);
      return;
    }
    auto* out = resp.mutable_file_descriptor_response();
    // The file asked for always goes first, even if sent before; then its imports not yet sent.
    std::vector<const FileDescriptor*> todo{file};
    bool first = true;
    while (!todo.empty()) {
      const FileDescriptor* f = todo.back();
      todo.pop_back();
      if (!sent_.insert(f->name()).second && !first) continue;
      first = false;
      google::protobuf::FileDescriptorProto proto;
      f->CopyTo(&proto);
      out->add_file_descriptor_proto(proto.SerializeAsString());
      for (int i = 0; i < f->dependency_count(); ++i) todo.push_back(f->dependency(i));
    }
  }

  const std::vector<std::string>& services_;
  std::set<std::string> sent_;
};

}  // namespace

grpc::Status ReflectionV1::ServerReflectionInfo(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<rv1::ServerReflectionResponse, rv1::ServerReflectionRequest>* stream) {
  Answerer answerer(services_);
  rv1::ServerReflectionRequest req;
  while (!ctx->IsCancelled() && stream->Read(&req)) {
    if (!stream->Write(answerer.answer(req))) break;
  }
  return grpc::Status::OK;
}

}  // namespace sharechain::node
