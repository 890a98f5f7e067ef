//===- ParameterStore.cpp - buffers of a module's parameters ------------===//

#include "llm/runtime/ParameterStore.h"
#include "llm/runtime/Int4Pack.h"
#include "Xxh3.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

using namespace llm::runtime;

namespace {
std::string shapeToString(const std::vector<int64_t> &shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? ", " : "") << shape[i];
  os << "]";
  return os.str();
}

/// Whether tensors of `dtype` hold floats the runtime reads (F32, F16, BF16).
bool isFloatDType(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16;
}

/// Multiplies column k of each of the `count` row-major rows of `in` floats
/// at `rows` by `scale[k]` (a folded norm weight, an activation-aware scale).
void multiplyColumns(float *rows, int64_t count, int64_t in,
                     const float *scale) {
  for (int64_t r = 0; r < count; ++r)
    for (int64_t k = 0; k < in; ++k)
      rows[r * in + k] *= scale[k];
}

/// The checkpoint dtype a module parameter of element type `dtype` ("f16",
/// "bf16") binds in place; nullopt for "f32" (which binds any float tensor,
/// converted when it is not F32) and for types no tensor binds as they are.
std::optional<DType> storedDType(const std::string &dtype) {
  if (dtype == "f16")
    return DType::F16;
  if (dtype == "bf16")
    return DType::BF16;
  return std::nullopt;
}

/// Finds tensors by name: the derived ones, the checkpoint's, then the
/// extra ones.
struct TensorLookup {
  const Checkpoint &checkpoint;
  const Checkpoint *extra;
  const std::map<std::string, TensorView> *virtualViews = nullptr;
  const TensorView *find(const std::string &name) const {
    if (virtualViews) {
      auto it = virtualViews->find(name);
      if (it != virtualViews->end())
        return &it->second;
    }
    if (const TensorView *t = checkpoint.find(name))
      return t;
    return extra ? extra->find(name) : nullptr;
  }
};

/// The float matrix an INT4 pack quantizes, read in place: one checkpoint
/// tensor, or the row blocks of several (the stacked parts of a fused
/// projection). Never copied whole: the quantizer reads rows as it goes.
struct PackSource {
  std::vector<const TensorView *> parts;
  int64_t rows = 0, in = -1;
  /// Why the parts do not make a matrix (empty: they do).
  std::string problem;
};

PackSource resolvePackSource(const TensorLookup &lookup, const Derivation &d) {
  PackSource source;
  std::vector<std::string> names = d.sources;
  if (names.empty())
    names.push_back(d.source);
  for (const std::string &name : names) {
    const TensorView *t = lookup.find(name);
    if (!t) {
      source.problem = (names.size() > 1 ? "its stacked part " : "its source tensor ") +
                       name + " is missing";
      return source;
    }
    if (t->shape.size() != 2 || !isFloatDType(t->dtype) ||
        (source.in >= 0 && t->shape[1] != source.in)) {
      source.problem = "its source " + name + " is " + t->describe() +
                       ", not a float matrix" +
                       (source.in >= 0 ? " with the other parts' columns" : "");
      return source;
    }
    source.in = t->shape[1];
    source.rows += t->shape[0];
    source.parts.push_back(t);
  }
  return source;
}

/// Reads rows of `source` as floats, each input column multiplied by the
/// `columnScales` (activation-aware scales, folded norm weights).
RowReader rowReader(const PackSource &source,
                    const std::vector<std::vector<float>> &columnScales) {
  return [&source, &columnScales](int64_t first, int64_t count,
                                  float *rows) -> Status {
    const int64_t in = source.in;
    int64_t partBegin = 0;
    float *at = rows;
    for (const TensorView *part : source.parts) {
      int64_t partRows = part->shape[0];
      int64_t lo = std::max(first, partBegin);
      int64_t hi = std::min(first + count, partBegin + partRows);
      if (lo < hi) {
        size_t element = dtypeSize(part->dtype);
        TensorView block = *part;
        block.shape = {hi - lo, in};
        block.data = static_cast<const uint8_t *>(part->data) +
                     (lo - partBegin) * in * element;
        block.nbytes = static_cast<size_t>((hi - lo) * in) * element;
        if (Status s = convertToF32(block, at); !s.ok())
          return s;
        at += (hi - lo) * in;
      }
      partBegin += partRows;
    }
    for (const std::vector<float> &scale : columnScales)
      multiplyColumns(rows, count, in, scale.data());
    return Status();
  };
}

/// Checks one parameter against the checkpoint; appends problems.
void checkParam(const TensorLookup &checkpoint, const ParamSpec &spec,
                std::ostringstream &problems, int &count) {
  auto problem = [&](const std::string &text) {
    problems << "\n  " << spec.name << ": " << text;
    ++count;
  };
  if (spec.derived && (spec.derived->scheme == "concat" ||
                       spec.derived->scheme == "scale_columns")) {
    // Built (and its sources checked) before the other parameters.
    const TensorView *built = checkpoint.find(spec.name);
    if (built && built->shape != spec.shape)
      problem("its sources stack to " + shapeToString(built->shape) +
              " but the module expects " + shapeToString(spec.shape));
    std::optional<DType> stored = storedDType(spec.dtype);
    if (built && stored && built->dtype != *stored)
      problem("its sources are not all " + std::string(dtypeName(*stored)) +
              ", the precision the module binds it in");
    return;
  }
  if (spec.derived) {
    const Derivation &d = *spec.derived;
    bool isQweight = d.part == "qweight";
    std::string expected = isQweight ? "i32" : "f32";
    if (d.scheme != "int4" || (d.format != "rtn" && d.format != "awq_gemm") ||
        (!isQweight && d.part != "scales" && d.part != "zeros") ||
        spec.dtype != expected || spec.shape.size() != (isQweight ? 4u : 2u))
      return problem("the module derives it in a way this runtime does not "
                     "know (" + d.scheme + " " + d.part + ")");
    // qweight [out / tile, groups, g / 8, tile]; scales and zeros [groups,
    // out].
    int64_t groups = isQweight ? spec.shape[1] : spec.shape[0];
    int64_t out = isQweight ? spec.shape[0] * spec.shape[3] : spec.shape[1];
    if (!validInt4Layout(out, d.groupSize, isQweight ? spec.shape[3] : 1) ||
        (isQweight && spec.shape[2] * 8 != d.groupSize))
      return problem("an INT4 " + d.part + " of shape " +
                     shapeToString(spec.shape) + " with group size " +
                     std::to_string(d.groupSize) +
                     " is not a layout this runtime packs (group sizes are "
                     "multiples of 8)");
    if (d.format == "awq_gemm") {
      // The AWQ layer's three tensors (checked once, with its qweight);
      // their shapes are checked in full when they are repacked.
      if (d.part != "qweight")
        return;
      const TensorView *qweight = checkpoint.find(d.source + ".qweight");
      for (const char *suffix : {".qweight", ".qzeros", ".scales"})
        if (!checkpoint.find(d.source + suffix))
          problem("its AWQ tensor " + d.source + suffix + " is missing");
      if (qweight && qweight->shape.size() == 2 &&
          (qweight->shape[0] != groups * d.groupSize ||
           qweight->shape[1] * 8 != out))
        problem("its AWQ qweight " + d.source + ".qweight has shape " +
                shapeToString(qweight->shape) + ", expected [" +
                std::to_string(groups * d.groupSize) + ", " +
                std::to_string(out / 8) + "]");
      return;
    }
    PackSource source = resolvePackSource(checkpoint, d);
    if (!source.problem.empty())
      return problem(source.problem);
    for (auto [scaleName, what, hint] :
         {std::tuple<const std::string &, const char *, const char *>{
              d.inputScale, "input scale",
              " (pass the scales of python/awq_search.py with "
              "--extra-weights)"},
          {d.columnScale, "column scale", ""}}) {
      if (scaleName.empty())
        continue;
      const TensorView *scale = checkpoint.find(scaleName);
      if (!scale)
        return problem(std::string("its ") + what + " " + scaleName +
                       " is missing" + hint);
      if (scale->shape.size() != 1 || scale->shape[0] != source.in ||
          !isFloatDType(scale->dtype))
        return problem(std::string("its ") + what + " " + scaleName +
                       " is " + scale->describe() + ", expected a float [" +
                       std::to_string(source.in) + "]");
    }
    if (source.rows != out ||
        (source.in + d.groupSize - 1) / d.groupSize != groups)
      return problem("its source " + d.source + " has shape " +
                     shapeToString({source.rows, source.in}) +
                     ", which does not give [" + std::to_string(out) + ", " +
                     std::to_string(groups) + " groups of " +
                     std::to_string(d.groupSize) + "]");
    return;
  }
  std::optional<DType> stored = storedDType(spec.dtype);
  if (spec.dtype != "f32" && !stored)
    return problem("the module expects element type " + spec.dtype +
                   ", which this runtime cannot bind");
  const TensorView *tensor = checkpoint.find(spec.name);
  if (!tensor)
    return problem("missing (expected " +
                   std::string(stored ? dtypeName(*stored) : "F32-compatible") +
                   " " + shapeToString(spec.shape) + ")");
  if (tensor->shape != spec.shape)
    problem("shape " + shapeToString(tensor->shape) +
            " but the module expects " + shapeToString(spec.shape));
  if (stored && tensor->dtype != *stored)
    problem(std::string("dtype ") + dtypeName(tensor->dtype) +
            " but the module was compiled for " + dtypeName(*stored) +
            " weights (import it with --weight-dtype=" +
            (tensor->dtype == DType::F16    ? "f16"
             : tensor->dtype == DType::BF16 ? "bf16"
                                            : "f32") +
            ", or set the config's torch_dtype)");
  else if (!isFloatDType(tensor->dtype))
    problem(std::string("dtype ") + dtypeName(tensor->dtype) +
            " is not F32, F16 or BF16");
}

/// A file name for the pack of `source` under `options`.
std::string packFileName(const Derivation &d) {
  std::string name;
  for (char c : d.source)
    name += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_'
                ? c
                : '_';
  return name + ".g" + std::to_string(d.groupSize) +
         (d.symmetric ? ".sym" : ".asym") +
         (d.inputScale.empty() ? "" : ".awq") +
         (d.columnScale.empty() ? "" : ".norm-folded") + ".int4";
}

/// The cache key of a pack: how it is made (derivation and tile) and a hash
/// of every byte of the tensors it is made from. `mapped(t)`: whether `t`
/// lies in a file mapping whose pages may be handed back once hashed.
uint64_t packCacheKey(const Derivation &d, int64_t tile,
                      const PackSource &source,
                      const std::vector<const TensorView *> &scales,
                      const std::function<bool(const TensorView *)> &mapped) {
  Xxh3 key;
  std::string recipe = packFileName(d) + "/tile=" + std::to_string(tile) +
                       "/format=" + d.format;
  key.add(recipe.data(), recipe.size());
  for (const auto *tensors : {&source.parts, &scales})
    for (const TensorView *t : *tensors)
      key.add(contentHash(*t, mapped(t)));
  return key.digest();
}
} // namespace

ParameterStore::~ParameterStore() = default;

Expected<std::unique_ptr<ParameterStore>>
ParameterStore::build(const Checkpoint &checkpoint,
                      const std::vector<ParamSpec> &params,
                      const LoadOptions &options) {
  std::unique_ptr<ParameterStore> store(new ParameterStore());

  TensorLookup lookup{checkpoint, options.extra, &store->virtualViews_};
  std::ostringstream problems;
  int count = 0;

  // Concatenated parameters, and the stacked sources of INT4 packs: stack
  // their parts (rows) once.
  for (const ParamSpec &spec : params) {
    // INT4 packs read their stacked parts in place (resolvePackSource).
    if (!spec.derived || spec.derived->sources.empty() ||
        spec.derived->scheme == "int4")
      continue;
    bool isConcat = spec.derived->scheme == "concat";
    std::string stackedName = isConcat ? spec.name : spec.derived->source;
    if (store->virtualViews_.count(stackedName))
      continue;
    // A stacked 16-bit parameter keeps its parts' precision: their rows are
    // copied as they are. Anything else is stacked in f32.
    std::optional<DType> stored =
        isConcat ? storedDType(spec.dtype) : std::nullopt;
    std::vector<const TensorView *> parts;
    int64_t rows = 0, in = -1;
    bool ok = true;
    for (const std::string &source : spec.derived->sources) {
      const TensorView *t = lookup.find(source);
      if (!t || t->shape.size() != 2 ||
          (in >= 0 && t->shape[1] != in) ||
          !isFloatDType(t->dtype) ||
          (stored && t->dtype != *stored)) {
        problems << "\n  " << spec.name << ": its part " << source
                 << (t ? " is " + t->describe() +
                             ", not a float matrix with the other parts' columns"
                       : std::string(" is missing"));
        ++count;
        ok = false;
        continue;
      }
      in = t->shape[1];
      rows += t->shape[0];
      parts.push_back(t);
    }
    if (!ok)
      continue;
    if (stored) {
      uint8_t *at = store->addVirtualBytes(stackedName, {rows, in}, *stored);
      for (const TensorView *t : parts) {
        std::memcpy(at, t->data, t->nbytes);
        at += t->nbytes;
      }
      continue;
    }
    float *at = store->addVirtualTensor(stackedName, {rows, in});
    for (const TensorView *t : parts) {
      if (Status s = convertToF32(*t, at); !s.ok())
        return Error(t->name + ": " + s.message());
      at += t->numel();
    }
  }
  // Weights with a norm folded in: their (possibly stacked) base tensor
  // with each column scaled.
  for (const ParamSpec &spec : params) {
    if (!spec.derived || spec.derived->scheme != "scale_columns" ||
        store->virtualViews_.count(spec.name))
      continue;
    const Derivation &d = *spec.derived;
    const TensorView *base = lookup.find(d.source);
    const TensorView *scale = lookup.find(d.columnScale);
    std::string problem;
    if (!base)
      problem = "its base tensor " + d.source + " is missing";
    else if (!scale)
      problem = "its column scale " + d.columnScale + " is missing";
    else if (base->shape.size() != 2 || !isFloatDType(base->dtype))
      problem = "its base tensor is " + base->describe() +
                ", not a float matrix";
    else if (scale->shape.size() != 1 || scale->shape[0] != base->shape[1] ||
             !isFloatDType(scale->dtype))
      problem = "its column scale is " + scale->describe() +
                ", not a float vector of " + std::to_string(base->shape[1]);
    if (!problem.empty()) {
      problems << "\n  " << spec.name << ": " << problem;
      ++count;
      continue;
    }
    float *data = store->addVirtualTensor(spec.name, base->shape);
    if (Status s = convertToF32(*base, data); !s.ok())
      return Error(d.source + ": " + s.message());
    std::vector<float> gain(base->shape[1]);
    if (Status s = convertToF32(*scale, gain.data()); !s.ok())
      return Error(d.columnScale + ": " + s.message());
    multiplyColumns(data, base->shape[0], base->shape[1], gain.data());
  }
  for (const ParamSpec &spec : params)
    checkParam(lookup, spec, problems, count);
  if (count)
    return Error("checkpoint does not match the compiled module (" +
                 std::to_string(count) + " problem" + (count > 1 ? "s" : "") +
                 "):" + problems.str());

  // INT4 packs, one per source tensor, shared by its three parts.
  std::map<std::string, Int4Pack *> packBySource;
  size_t derivedSources = 0, done = 0;
  {
    std::set<std::string> seen;
    for (const ParamSpec &spec : params)
      if (spec.derived && spec.derived->scheme == "int4" &&
          seen.insert(spec.derived->source + "/" + packFileName(*spec.derived))
              .second)
        ++derivedSources;
  }
  // The module's qweight shape [out / tile, groups, g / 8, tile] says which
  // tile of rows its kernels stream.
  std::map<std::string, int64_t> tileBySource;
  for (const ParamSpec &spec : params)
    if (spec.derived && spec.derived->scheme == "int4" &&
        spec.derived->part == "qweight")
      tileBySource[spec.derived->source + "/" + packFileName(*spec.derived)] =
          spec.shape[3];
  int64_t cached = 0, repacked = 0;
  for (const ParamSpec &spec : params) {
    if (!spec.derived || spec.derived->scheme != "int4")
      continue;
    const Derivation &d = *spec.derived;
    std::string key = d.source + "/" + packFileName(d);
    if (packBySource.count(key))
      continue;
    if (!tileBySource.count(key))
      return Error("the INT4 pack of " + d.source +
                   " has no qweight parameter in the module");
    int64_t tile = tileBySource[key];
    if (d.format == "awq_gemm") {
      auto pack = repackAwqGemm(*lookup.find(d.source + ".qweight"),
                                *lookup.find(d.source + ".qzeros"),
                                *lookup.find(d.source + ".scales"),
                                d.groupSize, tile);
      if (!pack.ok())
        return Error(pack.message());
      ++repacked;
      store->packs_.push_back(std::make_unique<Int4Pack>(std::move(*pack)));
      packBySource[key] = store->packs_.back().get();
      continue;
    }
    PackSource source = resolvePackSource(lookup, d);
    // Column scales the runtime multiplies W by before quantizing: the
    // activation-aware scale and the folded norm weight.
    std::vector<const TensorView *> scaleTensors;
    for (const std::string &name : {d.inputScale, d.columnScale})
      if (!name.empty())
        scaleTensors.push_back(lookup.find(name));
    int64_t out = source.rows, in = source.in;
    // Checkpoint tensors lie in read-only file mappings; derived ones in
    // memory of the store.
    auto mapped = [&](const TensorView *t) {
      return !store->virtualViews_.count(t->name);
    };
    uint64_t cacheKey = packCacheKey(d, tile, source, scaleTensors, mapped);
    std::string path = options.cacheDirectory.empty()
                           ? std::string()
                           : options.cacheDirectory + "/" + packFileName(d);
    std::optional<Int4Pack> pack;
    if (!path.empty() && !options.refreshCache)
      pack = loadCachedPack(path, cacheKey, out, in, d.groupSize, tile,
                            d.symmetric);
    if (pack) {
      ++cached;
    } else {
      std::vector<std::vector<float>> columnScales;
      for (const TensorView *t : scaleTensors) {
        std::vector<float> &values = columnScales.emplace_back(t->numel());
        if (Status st = convertToF32(*t, values.data()); !st.ok())
          return Error(t->name + ": " + st.message());
      }
      auto report = [&](int64_t rows) {
        if (!options.progress || !options.progressBar)
          return;
        double fraction = (done + double(rows) / out) / derivedSources;
        int width = 30, filled = static_cast<int>(fraction * width);
        std::fprintf(stderr, "\rquantizing to INT4 [%-*s] %3d%% %zu/%zu %s",
                     width, std::string(filled, '#').c_str(),
                     static_cast<int>(fraction * 100), done + 1,
                     derivedSources, d.source.c_str());
        std::fflush(stderr);
      };
      int threads = options.threads > 0
                        ? options.threads
                        : static_cast<int>(std::max(
                              1u, std::thread::hardware_concurrency()));
      auto quantized =
          quantizeInt4Rows(rowReader(source, columnScales), out, in,
                           d.groupSize, tile, d.symmetric, threads, report);
      if (!quantized.ok())
        return Error(d.source + ": " + quantized.message());
      pack = std::move(*quantized);
      if (!path.empty())
        if (Status s = saveCachedPack(path, cacheKey, *pack);
            !s.ok() && options.progress)
          std::fprintf(stderr, "\nwarning: %s\n", s.message().c_str());
    }
    // The sources were read once; their pages need not stay resident.
    for (const TensorView *t : source.parts)
      if (mapped(t))
        releasePages(t->data, t->nbytes);
    ++done;
    store->packs_.push_back(std::make_unique<Int4Pack>(std::move(*pack)));
    packBySource[key] = store->packs_.back().get();
  }
  if (options.progress && done > cached && options.progressBar)
    std::fprintf(stderr, "\n");
  if (options.progress && repacked)
    std::fprintf(stderr, "INT4: %lld AWQ layer(s) repacked\n",
                 static_cast<long long>(repacked));
  if (options.progress && done)
    std::fprintf(stderr, "INT4: %zu tensor(s) quantized, %lld read from %s\n",
                 done - static_cast<size_t>(cached),
                 static_cast<long long>(cached),
                 options.cacheDirectory.empty() ? "a cache (none in use)"
                                                : options.cacheDirectory.c_str());

  for (const ParamSpec &spec : params) {
    if (spec.derived && (spec.derived->scheme == "concat" ||
                         spec.derived->scheme == "scale_columns")) {
      store->data_.push_back(lookup.find(spec.name)->data);
      continue;
    }
    if (spec.derived) {
      const Int4Pack *pack = packBySource.at(spec.derived->source + "/" +
                                             packFileName(*spec.derived));
      if (spec.derived->part == "qweight")
        store->data_.push_back(pack->qweight.data());
      else if (spec.derived->part == "scales")
        store->data_.push_back(pack->scales.data());
      else
        store->data_.push_back(pack->zeros.data());
      continue;
    }
    const TensorView *tensor = lookup.find(spec.name);
    // F32 tensors, and 16-bit ones the module reads in their own precision,
    // are used in place from the mapped file (copied only when misaligned).
    std::optional<DType> stored = storedDType(spec.dtype);
    size_t alignment = stored ? 2 : alignof(float);
    bool aligned =
        reinterpret_cast<uintptr_t>(tensor->data) % alignment == 0;
    if (tensor->dtype == (stored ? *stored : DType::F32)) {
      if (aligned) {
        store->data_.push_back(tensor->data);
        continue;
      }
      std::vector<uint8_t> &copy = store->bytes_.emplace_back(tensor->nbytes);
      std::memcpy(copy.data(), tensor->data, tensor->nbytes);
      store->data_.push_back(copy.data());
      continue;
    }
    std::vector<float> values(tensor->numel());
    if (Status s = convertToF32(*tensor, values.data()); !s.ok())
      return Error(spec.name + ": " + s.message());
    store->converted_.push_back(std::move(values));
    store->data_.push_back(store->converted_.back().data());
  }
  return std::move(store);
}

uint8_t *ParameterStore::addVirtualBytes(const std::string &name,
                                        std::vector<int64_t> shape,
                                        DType dtype) {
  size_t elements = 1;
  for (int64_t dim : shape)
    elements *= static_cast<size_t>(dim);
  std::vector<uint8_t> &data = bytes_.emplace_back(elements * dtypeSize(dtype));
  addVirtualView(name, std::move(shape), dtype, data.data(), data.size());
  return data.data();
}

float *ParameterStore::addVirtualTensor(const std::string &name,
                                        std::vector<int64_t> shape) {
  size_t elements = 1;
  for (int64_t dim : shape)
    elements *= static_cast<size_t>(dim);
  std::vector<float> &data = virtualData_[name];
  data.assign(elements, 0.0f);
  addVirtualView(name, std::move(shape), DType::F32, data.data(),
                 elements * sizeof(float));
  return data.data();
}

void ParameterStore::addVirtualView(const std::string &name,
                                    std::vector<int64_t> shape, DType dtype,
                                    const void *data, size_t nbytes) {
  TensorView view;
  view.name = name;
  view.dtype = dtype;
  view.shape = std::move(shape);
  view.data = data;
  view.nbytes = nbytes;
  virtualViews_[name] = std::move(view);
}
