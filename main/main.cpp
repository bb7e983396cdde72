#include <cstdio>

int main() {
  std::puts("weft " WEFT_VERSION);
  return 0;
}
