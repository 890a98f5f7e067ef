//===- RankGroup.h - the processes of an mpirun job -------------*- C++ -*-===//
//
// A tensor-parallel model runs as one process per rank, started by mpirun.
// Rank 0 reads the prompt, samples and prints; every rank runs the same
// compiled module on its own slices of the weights, and the collectives in
// that code (MPI_Allreduce) pair the ranks' calls up. This class holds what
// the tools do with MPI themselves: starting it, agreeing that every rank
// loaded its part (or showing once why one did not), and sending rank 0's
// forward calls to the others.
//
// A process not started by mpirun (or by `mpirun -np 1`) is a group of one
// and never calls MPI.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_DISTRIBUTED_RANKGROUP_H
#define LLM_DISTRIBUTED_RANKGROUP_H

#include "llm/runtime/ModelRunner.h"

#include <cstdint>
#include <string>

namespace llm::distributed {

class RankGroup {
public:
  /// The group this process belongs to: MPI is initialized when mpirun
  /// started more than one rank (its environment says so). An error when
  /// it did but this build has no MPI.
  static runtime::Expected<RankGroup *> join(int *argc, char ***argv);

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool distributed() const { return size_ > 1; }

  /// Collective: every rank passes how its setup went. When any failed,
  /// every rank gets an error holding each failing rank's message (one
  /// line for a message every failing rank shares), for rank 0 to print.
  runtime::Status agree(const runtime::Status &local);

  /// Rank 0: sends every forward call of `runner` to the other ranks
  /// (ModelRunner::observeForward).
  void lead(runtime::ModelRunner &runner);
  /// Rank 0: tells the other ranks there are no more calls.
  void release();
  /// The other ranks: make each call rank 0 sends, until it releases them.
  /// An error (a call the runner refuses) is returned after telling MPI to
  /// stop the job.
  runtime::Status follow(runtime::ModelRunner &runner);

  /// Ends MPI (after release or follow).
  void finish();

private:
  RankGroup() = default;
  int rank_ = 0, size_ = 1;
  bool released_ = false;
};

} // namespace llm::distributed

#endif // LLM_DISTRIBUTED_RANKGROUP_H
