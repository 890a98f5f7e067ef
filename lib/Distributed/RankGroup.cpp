//===- RankGroup.cpp - the processes of an mpirun job ---------------------===//

#include "llm/Distributed/RankGroup.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#ifdef LLM_HAVE_MPI
// The C API only (Open MPI would pull in its C++ bindings).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

using namespace llm::distributed;
namespace rt = llm::runtime;

namespace {

/// The ranks mpirun started, from its environment (Open MPI's, or the
/// process-management interface of other launchers); 1 outside mpirun.
int launchedRanks() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char *value = std::getenv(name))
      return std::max(1, std::atoi(value));
  return 1;
}

/// What rank 0 sends before each call: the kind, then position, slot, the
/// number of token ids that follow, and the KV-cache pool the call runs on
/// (context size and slots), which the other ranks allocate alike.
enum CallKind : int64_t { Forward = 1, Release = 2 };

} // namespace

rt::Expected<RankGroup *> RankGroup::join(int *argc, char ***argv) {
  static RankGroup group;
  if (launchedRanks() <= 1)
    return &group;
#ifdef LLM_HAVE_MPI
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized && MPI_Init(argc, argv) != MPI_SUCCESS)
    return rt::Error("MPI_Init failed");
  MPI_Comm_rank(MPI_COMM_WORLD, &group.rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &group.size_);
  return &group;
#else
  (void)argc;
  (void)argv;
  return rt::Error("started by mpirun with " +
                   std::to_string(launchedRanks()) +
                   " ranks, but this build has no MPI (install "
                   "libopenmpi-dev and rebuild)");
#endif
}

rt::Status RankGroup::agree(const rt::Status &local) {
  if (!distributed())
    return local;
#ifdef LLM_HAVE_MPI
  int failed = local.ok() ? 0 : 1, anyFailed = 0;
  MPI_Allreduce(&failed, &anyFailed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (!anyFailed)
    return rt::Status();
  // Every rank's message, gathered on rank 0.
  std::string message = local.ok() ? std::string() : local.message();
  int length = static_cast<int>(message.size());
  std::vector<int> lengths(size_);
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0,
             MPI_COMM_WORLD);
  std::vector<int> offsets(size_, 0);
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    offsets[r] = total;
    total += lengths[r];
  }
  std::string all(rank_ == 0 ? total : 0, '\0');
  MPI_Gatherv(message.data(), length, MPI_CHAR, all.data(), lengths.data(),
              offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  if (rank_ != 0)
    return rt::Error("");
  // One line per distinct message, naming the ranks that failed with it.
  std::map<std::string, std::vector<int>> ranksOf;
  for (int r = 0; r < size_; ++r)
    if (lengths[r])
      ranksOf[all.substr(offsets[r], lengths[r])].push_back(r);
  std::string text;
  for (const auto &[text1, ranks] : ranksOf) {
    std::string who = ranks.size() == static_cast<size_t>(size_)
                          ? "every rank"
                          : std::string(ranks.size() > 1 ? "ranks " : "rank ");
    if (ranks.size() != static_cast<size_t>(size_))
      for (size_t i = 0; i < ranks.size(); ++i)
        who += (i ? ", " : "") + std::to_string(ranks[i]);
    text += (text.empty() ? "" : "\n") +
            (ranksOf.size() == 1 && ranks.size() == static_cast<size_t>(size_)
                 ? text1
                 : who + ": " + text1);
  }
  return rt::Error(text);
#else
  return local;
#endif
}

void RankGroup::lead(rt::ModelRunner &runner) {
  if (!distributed())
    return;
#ifdef LLM_HAVE_MPI
  runner.observeForward([&runner](const std::vector<int32_t> &tokens,
                                  int64_t position, int64_t slot) {
    int64_t header[6] = {Forward,
                         position,
                         slot,
                         static_cast<int64_t>(tokens.size()),
                         runner.contextSize(),
                         runner.slots()};
    MPI_Bcast(header, 6, MPI_INT64_T, 0, MPI_COMM_WORLD);
    MPI_Bcast(const_cast<int32_t *>(tokens.data()),
              static_cast<int>(tokens.size()), MPI_INT32_T, 0,
              MPI_COMM_WORLD);
  });
#endif
}

void RankGroup::release() {
  if (!distributed() || released_)
    return;
  released_ = true;
#ifdef LLM_HAVE_MPI
  int64_t header[6] = {Release, 0, 0, 0, 0, 0};
  MPI_Bcast(header, 6, MPI_INT64_T, 0, MPI_COMM_WORLD);
#endif
}

rt::Status RankGroup::follow(rt::ModelRunner &runner) {
#ifdef LLM_HAVE_MPI
  std::vector<int32_t> tokens;
  for (;;) {
    int64_t header[6];
    MPI_Bcast(header, 6, MPI_INT64_T, 0, MPI_COMM_WORLD);
    if (header[0] != Forward)
      return rt::Status();
    auto stop = [&](const std::string &problem) {
      std::string message = "rank " + std::to_string(rank_) + ": " + problem;
      std::fprintf(stderr, "llm-run: error: %s\n", message.c_str());
      MPI_Abort(MPI_COMM_WORLD, 1);
      return rt::Error(message);
    };
    if (header[3] < 1 || header[3] > (int64_t(1) << 30))
      return stop("malformed call from rank 0");
    if (runner.contextSize() != header[4] || runner.slots() != header[5])
      if (rt::Status s = runner.allocateCache(header[4], header[5]); !s.ok())
        return stop(s.message());
    tokens.resize(static_cast<size_t>(header[3]));
    MPI_Bcast(tokens.data(), static_cast<int>(tokens.size()), MPI_INT32_T, 0,
              MPI_COMM_WORLD);
    auto logits = runner.forward(tokens, header[1], header[2]);
    // Rank 0 checked the same call and went ahead: this rank cannot
    // follow, and the job cannot go on without it.
    if (!logits.ok())
      return stop(logits.message());
  }
#else
  (void)runner;
  return rt::Status();
#endif
}

void RankGroup::finish() {
#ifdef LLM_HAVE_MPI
  if (distributed())
    MPI_Finalize();
#endif
}
