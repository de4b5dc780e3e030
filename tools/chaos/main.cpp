#include <iostream>

#include "tools/chaos/app.hpp"

int main(int argc, char** argv) {
  return sharechain::chaos::run(std::vector<std::string>(argv + 1, argv + argc), std::cout,
                                std::cerr);
}
