#include "tools/net/tls.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace sharechain::net {
namespace {

constexpr long kValiditySeconds = 10L * 365 * 24 * 3600;
constexpr long kBackdateSeconds = 3600;

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PKeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

// The OpenSSL error queue's newest entry, for messages; also clears the queue.
std::string openssl_error(std::string_view what) {
  std::string msg(what);
  const unsigned long e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  ERR_clear_error();
  return msg;
}

Result<PKeyPtr> new_p256_key() {
  PKeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Status::internal(openssl_error("cannot generate a P-256 key"));
  return key;
}

Result<std::string> bio_contents(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  if (n <= 0 || data == nullptr) return Status::internal(openssl_error("cannot encode PEM"));
  return std::string(data, static_cast<std::size_t>(n));
}

Result<Pem> to_pem(X509* cert, EVP_PKEY* key) {
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Status::internal(openssl_error("cannot encode PEM"));
  }
  Result<std::string> c = bio_contents(cert_bio.get());
  if (!c) return c.status();
  Result<std::string> k = bio_contents(key_bio.get());
  if (!k) return k.status();
  return Pem{std::move(*c), std::move(*k)};
}

Result<X509Ptr> parse_cert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return Status::invalid_argument(openssl_error("the CA certificate does not parse"));
  return cert;
}

Result<PKeyPtr> parse_key(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PKeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return Status::invalid_argument(openssl_error("the CA key does not parse"));
  return key;
}

// A certificate with a random 128-bit serial, the validity window and the subject's key; the
// caller adds extensions and signs.
Result<X509Ptr> new_certificate(EVP_PKEY* subject_key, std::string_view common_name) {
  X509Ptr cert(X509_new());
  if (!cert) return Status::internal(openssl_error("cannot allocate a certificate"));
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) {
    return Status::internal(openssl_error("no randomness for the serial number"));
  }
  serial_bytes[0] &= 0x7f;  // a serial number must be positive
  BnPtr serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  X509_NAME* name = X509_get_subject_name(cert.get());
  const bool ok =
      serial && X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) != nullptr &&
      X509_set_pubkey(cert.get(), subject_key) == 1 &&
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>("ShareChain"), -1, -1, 0) == 1 &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(std::string(common_name).c_str()),
                                 -1, -1, 0) == 1;
  if (!ok) return Status::internal(openssl_error("cannot fill in the certificate"));
  return cert;
}

// Adds one extension in openssl.cnf syntax ("critical,CA:TRUE"), resolved against `issuer`.
Status add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return Status::internal(openssl_error(std::string("cannot add certificate extension ") + value));
  }
  return Status::ok();
}

}  // namespace

Result<Pem> make_ca(std::string_view common_name) {
  Result<PKeyPtr> key = new_p256_key();
  if (!key) return key.status();
  Result<X509Ptr> cert = new_certificate(key->get(), common_name);
  if (!cert) return cert.status();
  X509* c = cert->get();
  if (X509_set_issuer_name(c, X509_get_subject_name(c)) != 1) {
    return Status::internal(openssl_error("cannot set the CA issuer"));
  }
  // pathlen:0: this CA signs node certificates only, never another CA.
  for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                   std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                                   std::pair{NID_subject_key_identifier, "hash"},
                                   std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    if (Status st = add_extension(c, c, nid, value); !st) return st;
  }
  if (X509_sign(c, key->get(), EVP_sha256()) == 0) {
    return Status::internal(openssl_error("cannot sign the CA certificate"));
  }
  return to_pem(c, key->get());
}

Result<Pem> make_node_certificate(const Pem& ca, std::string_view common_name,
                                  std::string_view host) {
  Result<X509Ptr> ca_cert = parse_cert(ca.certificate);
  if (!ca_cert) return ca_cert.status();
  Result<PKeyPtr> ca_key = parse_key(ca.private_key);
  if (!ca_key) return ca_key.status();
  if (X509_check_private_key(ca_cert->get(), ca_key->get()) != 1) {
    return Status::invalid_argument(openssl_error("the CA key does not belong to the CA certificate"));
  }
  Result<PKeyPtr> key = new_p256_key();
  if (!key) return key.status();
  Result<X509Ptr> cert = new_certificate(key->get(), common_name);
  if (!cert) return cert.status();
  X509* c = cert->get();
  if (X509_set_issuer_name(c, X509_get_subject_name(ca_cert->get())) != 1) {
    return Status::internal(openssl_error("cannot set the issuer"));
  }
  std::string alt_names = "IP:127.0.0.1,DNS:localhost";
  if (!host.empty() && host != "127.0.0.1" && host != "localhost") {
    std::string bare(host);
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') {
      bare = bare.substr(1, bare.size() - 2);
    }
    in6_addr scratch;
    const bool is_ip = ::inet_pton(AF_INET, bare.c_str(), &scratch) == 1 ||
                       ::inet_pton(AF_INET6, bare.c_str(), &scratch) == 1;
    alt_names += (is_ip ? ",IP:" : ",DNS:") + bare;
  }
  for (const auto& [nid, value] :
       {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
        std::pair{NID_key_usage, "critical,digitalSignature"},
        std::pair{NID_ext_key_usage, "serverAuth,clientAuth"},
        std::pair{NID_subject_alt_name, alt_names.c_str()},
        std::pair{NID_subject_key_identifier, "hash"},
        std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    if (Status st = add_extension(c, ca_cert->get(), nid, value); !st) return st;
  }
  if (X509_sign(c, ca_key->get(), EVP_sha256()) == 0) {
    return Status::internal(openssl_error("cannot sign the node certificate"));
  }
  return to_pem(c, key->get());
}

}  // namespace sharechain::net
