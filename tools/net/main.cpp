#include <iostream>
#include <string>
#include <vector>

#include "tools/net/app.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return sharechain::net::run(args, std::cout, std::cerr);
}
