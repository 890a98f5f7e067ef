//===- LLMAttrs.cpp - llm dialect attributes ------------------------------===//

#include "llm/Dialect/LLM/IR/Int4Layout.h"
#include "llm/Dialect/LLM/IR/LLMAttrs.h"
#include "llm/Dialect/LLM/IR/LLMDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>


using namespace mlir;
using namespace mlir::llm;

/// The optional trailing fields of #llm.int4, each `, keyword = value`, in
/// any order: format, input_scale, column_scale (strings) and stacking (a
/// list of strings). Fields with their default value are not printed.
static ParseResult parseInt4Options(AsmParser &parser, std::string &format,
                                    std::string &inputScale,
                                    std::string &columnScale,
                                    SmallVector<StringAttr> &stacking) {
  format = "rtn";
  while (succeeded(parser.parseOptionalComma())) {
    StringRef keyword;
    SMLoc at = parser.getCurrentLocation();
    if (parser.parseKeyword(&keyword) || parser.parseEqual())
      return failure();
    std::string text;
    if (keyword == "format" || keyword == "input_scale" ||
        keyword == "column_scale") {
      if (parser.parseString(&text))
        return failure();
      (keyword == "format"        ? format
       : keyword == "input_scale" ? inputScale
                                  : columnScale) = text;
    } else if (keyword == "stacking") {
      SmallVector<StringAttr> names;
      if (parser.parseCommaSeparatedList(
              AsmParser::Delimiter::Square, [&]() -> ParseResult {
                std::string name;
                if (parser.parseString(&name))
                  return failure();
                names.push_back(parser.getBuilder().getStringAttr(name));
                return success();
              }))
        return failure();
      stacking = std::move(names);
    } else {
      return parser.emitError(at, "unknown #llm.int4 field '")
             << keyword
             << "' (expected format, input_scale, column_scale or stacking)";
    }
  }
  return success();
}

static void printInt4Options(AsmPrinter &printer, StringRef format,
                             StringRef inputScale, StringRef columnScale,
                             ArrayRef<StringAttr> stacking) {
  if (format != "rtn")
    printer << ", format = \"" << format << "\"";
  if (!inputScale.empty())
    printer << ", input_scale = \"" << inputScale << "\"";
  if (!columnScale.empty())
    printer << ", column_scale = \"" << columnScale << "\"";
  if (!stacking.empty()) {
    printer << ", stacking = [";
    llvm::interleaveComma(stacking, printer);
    printer << "]";
  }
}

#define GET_ATTRDEF_CLASSES
#include "llm/Dialect/LLM/IR/LLMAttrs.cpp.inc"

void LLMDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "llm/Dialect/LLM/IR/LLMAttrs.cpp.inc"
      >();
}

LogicalResult
Llama3RopeScalingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              APFloat factorValue, APFloat lowValue,
                              APFloat highValue, int64_t originalMaxPosition) {
  double factor = factorValue.convertToDouble();
  double lowFreqFactor = lowValue.convertToDouble();
  double highFreqFactor = highValue.convertToDouble();
  if (!(factor > 0.0))
    return emitError() << "rope scaling factor must be positive, got "
                       << factor;
  if (!(lowFreqFactor > 0.0) || !(highFreqFactor > lowFreqFactor))
    return emitError() << "rope scaling needs 0 < low_freq_factor < "
                          "high_freq_factor, got "
                       << lowFreqFactor << " and " << highFreqFactor;
  if (originalMaxPosition <= 0)
    return emitError() << "rope scaling original_max_position must be "
                          "positive, got "
                       << originalMaxPosition;
  return success();
}

double Llama3RopeScalingAttr::scaleInverseFrequency(double invFreq) const {
  double original = static_cast<double>(getOriginalMaxPosition());
  double factor = getFactor().convertToDouble();
  double low = getLowFreqFactor().convertToDouble();
  double high = getHighFreqFactor().convertToDouble();
  double lowFreqWavelen = original / low;
  double highFreqWavelen = original / high;
  double wavelen = 2.0 * M_PI / invFreq;
  if (wavelen < highFreqWavelen)
    return invFreq;
  if (wavelen > lowFreqWavelen)
    return invFreq / factor;
  double smooth = (original / wavelen - low) / (high - low);
  return (1.0 - smooth) * invFreq / factor + smooth * invFreq;
}

LogicalResult
Int4PackAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                     StringRef source, StringRef part, int64_t groupSize,
                     bool symmetric, StringRef format, StringRef inputScale,
                     StringRef columnScale,
                     ArrayRef<StringAttr> stackedSources) {
  if ((!inputScale.empty() || !columnScale.empty()) && format != "rtn")
    return emitError() << "an INT4 pack with an input_scale or column_scale "
                          "must be quantized by the runtime (format rtn)";
  if (format != "rtn" && format != "awq_gemm")
    return emitError() << "INT4 pack format must be rtn or awq_gemm, not '"
                       << format << "'";
  if (source.empty())
    return emitError() << "an INT4 pack needs the name of its source tensor";
  if (part != "qweight" && part != "scales" && part != "zeros")
    return emitError() << "INT4 pack part must be qweight, scales or zeros, "
                          "not '"
                       << part << "'";
  if (!isInt4GroupSize(groupSize))
    return emitError() << "INT4 group_size must be a positive multiple of 8 up to 8192, "
                          "not "
                       << groupSize;
  return success();
}

LogicalResult
ConcatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                   ArrayRef<StringAttr> sources) {
  if (sources.size() < 2)
    return emitError() << "a concatenated parameter needs at least two "
                          "sources";
  for (StringAttr source : sources)
    if (!source || source.getValue().empty())
      return emitError() << "a concatenated parameter's sources must be "
                            "non-empty names";
  return success();
}
