// RaceForkedChildren: forked children that get ready apart, then act at the same moment.
#include "support/forked_race.h"

#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

namespace domicile::testing {

std::vector<int> RaceForkedChildren(int children, const std::function<int(int child)>& prepare,
                                    const std::function<int(int child)>& act) {
  int ready[2];
  int go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) throw std::runtime_error("RaceForkedChildren: pipe");
  std::vector<pid_t> pids;
  for (int c = 0; c < children; ++c) {
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("RaceForkedChildren: fork");
    if (pid == 0) {
      alarm(60);
      close(go[1]);
      close(ready[0]);
      int code = prepare(c);
      if (code != 0) _exit(code);
      char byte = 'R';
      if (write(ready[1], &byte, 1) != 1) _exit(120);
      if (read(go[0], &byte, 1) != 0) _exit(121);  // go: the parent closed its end
      _exit(act(c));
    }
    pids.push_back(pid);
  }
  close(ready[1]);
  close(go[0]);
  for (int c = 0; c < children; ++c) {
    char byte;
    if (read(ready[0], &byte, 1) != 1) break;  // every child is gone: nobody left to release
  }
  close(ready[0]);
  close(go[1]);  // releases every prepared child at once
  std::vector<int> exits;
  for (pid_t pid : pids) {
    int status = 0;
    bool exited = waitpid(pid, &status, 0) == pid && WIFEXITED(status);
    exits.push_back(exited ? WEXITSTATUS(status) : -1);
  }
  return exits;
}

int RaceExitCode(const Status& status) {
  if (status.ok()) return 0;
  return status.code() == StatusCode::kConflict ? 1 : 16;
}

}  // namespace domicile::testing
