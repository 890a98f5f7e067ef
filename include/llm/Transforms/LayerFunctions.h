//===- LayerFunctions.h - spelling out decoder-layer functions --*- C++ -*-===//
//
// The importer emits one decoder-layer function per entry point, called once
// per layer with the layer's index. Consumers that place or name every
// layer on its own (the LPU planner, the calibration activations) inline
// those calls first: a constant layer then folds each `llm.param` back to
// the layer's tensor and each `llm.attention` to its cache layer.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_TRANSFORMS_LAYERFUNCTIONS_H
#define LLM_TRANSFORMS_LAYERFUNCTIONS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::llm {

/// Adds the passes that inline every call of a function the module defines
/// and drop the functions no longer called (run them with the calling
/// pass's runPipeline, then check with verifyLayersSpelledOut).
void addSpellOutLayersPasses(OpPassManager &pm);

/// Checks that `module` has every layer spelled out: no call of a function
/// it defines, no parameter or attention of a layer that is not a
/// constant. `pass` names the caller in the error.
LogicalResult verifyLayersSpelledOut(ModuleOp module, StringRef pass);

} // namespace mlir::llm

#endif // LLM_TRANSFORMS_LAYERFUNCTIONS_H
