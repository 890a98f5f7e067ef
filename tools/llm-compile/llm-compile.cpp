//===- llm-compile.cpp - ahead-of-time compilation of llm modules ---------===//
//
// Compiles an llm module (at graph level, or lowered by --llm-cpu-pipeline)
// for a CPU into a shared library that `llm-run model.so -m DIR` runs with
// no MLIR or LLVM compilation at start, or into the relocatable object
// (`-o model.o`) to link yourself:
//
//   llm-compile model.mlir -o model.so                 # for this machine
//   llm-compile model.mlir -o model.so --mcpu=x86-64-v3
//   llm-compile model.mlir -o model.so --mcpu=skylake-avx512 --mattr=-avx512vnni
//
// The artifact carries its metadata (the runtime ABI version, the CPU and
// every feature its code may use, the module's weight ABI and shape);
// llm-run refuses one built for another ABI or for features the machine
// lacks. Like llc, the tool generates code; like a compiler driver, it
// links a shared library with the system's C compiler (`$CC`, else `cc`).
//
//===----------------------------------------------------------------------===//

#include "llm/Execution/CompiledModel.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace llvm;

static cl::opt<std::string> inputPath(cl::Positional, cl::desc("<module.mlir>"),
                                      cl::init("-"));
static cl::opt<std::string>
    outputPath("o", cl::desc("output: a shared library (.so), or a relocatable "
                             "object (.o) to link yourself"),
               cl::value_desc("file"), cl::Required);
static cl::opt<std::string>
    cpu("mcpu",
        cl::desc("CPU to generate code for (an LLVM CPU name; default: this "
                 "machine, with exactly its features)"),
        cl::init(""));
static cl::opt<std::string>
    mattr("mattr", cl::desc("CPU features to add or remove (+avx2,-avx512f)"),
          cl::init(""));
static cl::opt<unsigned> optLevel("O", cl::desc("optimization level (0-3)"),
                                  cl::Prefix, cl::init(3));
static cl::opt<bool> serial("serial",
                            cl::desc("no OpenMP-parallel loops"),
                            cl::init(false));
static cl::opt<std::string> int4Kernel(
    "int4-kernel",
    cl::desc("the INT4 layers' kernel of a module not yet lowered "
             "(llm-cpu-pipeline's int4-kernel; default: the first of "
             "x86-avx512-vnni, x86-avx512 and x86-avx2 the CPU has, else "
             "generic)"),
    cl::value_desc("name"), cl::init(""));

static int fail(const Twine &message) {
  errs() << "llm-compile: error: " << message << "\n";
  return 1;
}

/// A new file next to `output` with `extension`, in `path`.
static Error createBeside(StringRef output, StringRef extension,
                          SmallVectorImpl<char> &path) {
  if (std::error_code ec = sys::fs::createUniqueFile(
          output + ".%%%%%%" + extension, path))
    return createStringError(ec, "cannot create a file next to '" + output +
                                     "': " + ec.message());
  return Error::success();
}

/// Links `object` into the shared library `output` with the C compiler
/// driver; the OpenMP and MLIR runner libraries the code calls come from
/// LLVM's library directory.
static Error linkSharedLibrary(StringRef object, StringRef output) {
  // $CC may carry arguments of its own (`ccache cc`, `clang-22 -fuse-ld=lld`).
  const char *cc = std::getenv("CC");
  SmallVector<StringRef> words;
  StringRef(cc && *cc ? cc : "cc").split(words, ' ', -1, /*KeepEmpty=*/false);
  if (words.empty())
    words.push_back("cc");
  std::string driver = words.front().str();
  ErrorOr<std::string> program = sys::findProgramByName(driver);
  if (!program)
    return createStringError(inconvertibleErrorCode(),
                             "cannot find the C compiler '" + driver +
                                 "' to link a shared library (set CC, or "
                                 "write an object with -o FILE.o)");
  std::string libDir = LLM_LLVM_LIBRARY_DIR;
  SmallVector<std::string> args = {*program};
  for (StringRef word : ArrayRef<StringRef>(words).drop_front())
    args.push_back(word.str());
  args.append({"-shared", "-o", output.str(), object.str(), "-L" + libDir,
               "-Wl,-rpath," + libDir, "-lomp", "-lmlir_c_runner_utils",
               "-Wl,-z,noexecstack"});
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int rc = sys::ExecuteAndWait(*program, argRefs, std::nullopt, {}, 0, 0,
                               &message);
  if (rc != 0)
    return createStringError(inconvertibleErrorCode(),
                             "linking '" + output + "' with " + driver +
                                 " failed" +
                                 (message.empty() ? "" : ": " + message));
  return Error::success();
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv,
      "llm ahead-of-time compiler: an llm module to a shared library for "
      "llm-run\n");
  if (optLevel > 3)
    return fail("-O must be 0 to 3");
  StringRef extension = sys::path::extension(outputPath);
  bool wantObject = extension == ".o";
  if (!wantObject && extension != ".so")
    return fail("the output '" + outputPath +
                "' must end in .so (a shared library) or .o (an object)");

  auto target = mlir::llm::describeTarget(cpu, mattr);
  if (!target)
    return fail(toString(target.takeError()));

  auto buffer = MemoryBuffer::getFileOrSTDIN(inputPath);
  if (!buffer)
    return fail("cannot read '" + inputPath + "': " +
                buffer.getError().message());
  auto context = mlir::llm::createExecutionContext();
  mlir::OwningOpRef<mlir::ModuleOp> module;
  {
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler handler(
        context.get(), [&](mlir::Diagnostic &diag) {
          raw_string_ostream os(diagnostics);
          os << "\n  " << diag.getLocation() << ": " << diag.str();
          return mlir::success();
        });
    SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(std::move(*buffer), SMLoc());
    module = mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, context.get());
    if (!module)
      return fail("cannot parse '" + inputPath + "' as an MLIR module:" +
                  diagnostics);
  }

  // The object goes next to the output and becomes it (or is linked into
  // it) only once complete.
  SmallString<256> object;
  if (Error error = createBeside(outputPath, ".o", object))
    return fail(toString(std::move(error)));
  FileRemover removeObject(object.str());
  mlir::llm::CompileOptions options;
  options.optLevel = optLevel;
  options.parallel = !serial;
  options.int4Kernel = int4Kernel;
  if (Error error = mlir::llm::CompiledModel::compileToObject(
          std::move(context), std::move(module), *target, options, object))
    return fail(toString(std::move(error)));
  if (wantObject) {
    if (std::error_code ec = sys::fs::rename(object, outputPath))
      return fail("cannot write '" + outputPath + "': " + ec.message());
    return 0;
  }
  SmallString<256> library;
  if (Error error = createBeside(outputPath, ".so", library))
    return fail(toString(std::move(error)));
  FileRemover removeLibrary(library.str());
  if (Error error = linkSharedLibrary(object, library))
    return fail(toString(std::move(error)));
  if (std::error_code ec = sys::fs::rename(library, outputPath))
    return fail("cannot write '" + outputPath + "': " + ec.message());
  return 0;
}
