// Certificates for the peer network of a local cluster: one self-signed CA per cluster and one
// certificate per node signed by it. Keys are EC P-256; node certificates name IP 127.0.0.1 and
// DNS localhost, plus the node's own host when it has one (what peers dial), and allow both
// server and client authentication, because the peer network uses mutual TLS: each node is a
// server to some peers and a client to others.
#pragma once

#include <string>
#include <string_view>

#include "proto/status.hpp"

namespace sharechain::net {

struct Pem {
  std::string certificate;  // PEM "CERTIFICATE"
  std::string private_key;  // PEM "PRIVATE KEY" (PKCS#8, unencrypted)
};

// A fresh CA, valid for ten years from an hour ago (clocks of local nodes may differ slightly).
Result<Pem> make_ca(std::string_view common_name);

// A fresh key and a certificate for `common_name`, signed by `ca`, valid as long as the CA.
// A non-empty `host` (an IP address, IPv6 in brackets, or a DNS name) is named as well.
Result<Pem> make_node_certificate(const Pem& ca, std::string_view common_name,
                                  std::string_view host = {});

}  // namespace sharechain::net
