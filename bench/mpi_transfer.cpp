// Measures what tensor- and pipeline-parallel decoding asks of the
// interconnect between mpirun's ranks: point-to-point latency (8 bytes,
// half a ping-pong round trip) and bandwidth (1 MiB and 16 MiB messages),
// and the time of one MPI_Allreduce of a hidden state (`--hidden` floats,
// what each layer of a tensor-parallel decode step sums twice). Prints one
// JSON object on rank 0.
//
//   mpirun -np 2 build/bin/llm-mpi-transfer --hidden 8192

// The C API only (Open MPI would pull in its C++ bindings).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

static double pingPong(int rank, size_t bytes, int repeats) {
  std::vector<char> buffer(std::max<size_t>(bytes, 1));
  MPI_Barrier(MPI_COMM_WORLD);
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    double start = MPI_Wtime();
    for (int i = 0; i < repeats; ++i) {
      if (rank == 0) {
        MPI_Send(buffer.data(), static_cast<int>(bytes), MPI_CHAR, 1, 0, MPI_COMM_WORLD);
        MPI_Recv(buffer.data(), static_cast<int>(bytes), MPI_CHAR, 1, 0, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
      } else if (rank == 1) {
        MPI_Recv(buffer.data(), static_cast<int>(bytes), MPI_CHAR, 0, 0, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        MPI_Send(buffer.data(), static_cast<int>(bytes), MPI_CHAR, 0, 0, MPI_COMM_WORLD);
      }
    }
    best = std::min(best, (MPI_Wtime() - start) / repeats / 2);
  }
  return best;  // one way
}

static double allReduce(int floats, int repeats) {
  std::vector<float> in(floats, 1.0f), out(floats);
  MPI_Barrier(MPI_COMM_WORLD);
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    for (int i = 0; i < repeats; ++i)
      MPI_Allreduce(in.data(), out.data(), floats, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    double seconds = (MPI_Wtime() - start) / repeats;
    MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    best = std::min(best, seconds);
  }
  return best;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int hidden = 8192;
  for (int i = 1; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], "--hidden"))
      hidden = std::atoi(argv[i + 1]);
  if (size < 2 || hidden < 1) {
    if (rank == 0)
      std::fprintf(stderr, "llm-mpi-transfer: run it with mpirun -np N (N >= 2) "
                           "[--hidden FLOATS > 0]\n");
    MPI_Finalize();
    return 1;
  }
  double latency = pingPong(rank, 8, 2000);
  double mib = pingPong(rank, 1 << 20, 50);
  double mib16 = pingPong(rank, 16 << 20, 5);
  double reduce = allReduce(hidden, 500);
  if (rank == 0)
    std::printf("{\"ranks\": %d, \"latency_us\": %.3f, \"bandwidth_1MiB_GBps\": %.3f, "
                "\"bandwidth_16MiB_GBps\": %.3f, \"allreduce_floats\": %d, "
                "\"allreduce_us\": %.3f}\n",
                size, latency * 1e6, (1 << 20) / mib / 1e9, (16 << 20) / mib16 / 1e9,
                hidden, reduce * 1e6);
  MPI_Finalize();
  return 0;
}
