#include <iostream>
#include "greet.h"
#include "shapes.hpp"
int main() {
  std::cout << greeting() << ", fib(20) = " << fib(20) << "\n";
  for (const auto& s : make_shapes()) std::cout << s->name() << " area " << s->area() << "\n";
  return 0;
}
