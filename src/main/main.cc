// Composition root: builds the adapters and hands control to the CLI front end.
#include <cstdio>

int main() {
  std::puts("domicile: CLI not wired yet");
  return 0;
}
