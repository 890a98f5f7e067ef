//===- ExportJSON.cpp - an LPU plan as JSON for toolchains ----------------===//

#include "llm/Target/LPU/Export.h"
#include "llm/Target/LPU/PlanSummary.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace mlir::llm::lpu;


static void writeSummary(llvm::json::OStream &j, const PlanSummary &s) {
  j.attributeObject("summary", [&] {
    j.attribute("target", s.target);
    j.attribute("chips", s.chips);
    j.attribute("fewest_chips", s.fewestChips);
    j.attribute("tensor_parallel", s.tensorParallel);
    j.attribute("weight_bits", s.weightBits);
    j.attribute("clock_mhz", s.clockMHz);
    j.attribute("host_round_trip_us", s.hostRoundTripUs);
    j.attribute("weight_bytes", s.weightBytes);
    j.attribute("kv_cache_bytes", s.kvCacheBytes);
    j.attribute("instruction_bytes", s.instructionBytes);
    j.attribute("max_chip_instruction_bytes", s.maxChipInstructionBytes);
    j.attribute("sram_bytes", s.sramBytes);
    j.attribute("sram_used_fraction",
                s.sramBytes ? double(s.reservedBytes) / s.sramBytes : 0.0);
    j.attribute("max_chip_sram_used_fraction",
                s.chips ? double(s.maxChipReservedBytes) * s.chips /
                              std::max<int64_t>(s.sramBytes, 1)
                        : 0.0);
    if (auto it = s.schedules.find("decode"); it != s.schedules.end()) {
      const ScheduleSummary &d = it->second;
      j.attribute("context", d.context);
      j.attribute("decode_latency_us", d.latencyUs);
      j.attribute("decode_tokens_per_s", d.latencyUs > 0 ? 1e6 / d.latencyUs : 0);
    }
    if (auto it = s.schedules.find("prefill"); it != s.schedules.end()) {
      const ScheduleSummary &p = it->second;
      j.attribute("prompt_length", p.tokens);
      j.attribute("prefill_latency_us", p.latencyUs);
      j.attribute("prefill_tokens_per_s",
                  p.latencyUs > 0 ? p.tokens * 1e6 / p.latencyUs : 0);
    }
    if (auto it = s.schedules.find("verify"); it != s.schedules.end()) {
      // Speculative decoding: drafted tokens checked in one pass.
      j.attribute("verify_tokens", it->second.tokens);
      j.attribute("verify_latency_us", it->second.latencyUs);
    }
    j.attributeObject("utilization", [&] {
      for (auto &[name, schedule] : s.schedules)
        j.attributeObject(name, [&] {
          for (auto &[unit, fraction] : schedule.utilization)
            j.attribute(unit, fraction);
          j.attribute("transfers", schedule.transfers);
          j.attribute("transfer_bytes", schedule.transferBytes);
        });
    });
    if (auto it = s.schedules.find("decode"); it != s.schedules.end()) {
      const ScheduleSummary &d = it->second;
      // Beyond one user (a prediction, not a published anchor): one user's
      // token per pipeline stage in flight; a stage takes the next token
      // when it has finished the last, so the system completes one token
      // per longest stage span. Each user needs its own KV cache: the users
      // are at most those whose caches fit the SRAM the plan leaves free
      // (in all; the cache of a layer must also fit its own chips).
      if (d.maxStageSpanCycles > 0 && d.makespanCycles > 0)
        j.attributeObject("pipelined", [&] {
          double spanUs = d.maxStageSpanCycles / s.clockMHz;
          int64_t pipelineUsers = (d.makespanCycles + d.maxStageSpanCycles - 1) /
                                  d.maxStageSpanCycles;
          int64_t memoryUsers =
              s.kvCacheBytes > 0
                  ? 1 + std::max<int64_t>(s.sramBytes - s.reservedBytes, 0) /
                            s.kvCacheBytes
                  : pipelineUsers;
          int64_t users = std::min(pipelineUsers, memoryUsers);
          double systemTps =
              std::min(1e6 / spanUs, users * 1e6 / d.latencyUs);
          j.attribute("stages", d.activeStages);
          j.attribute("max_stage_span_us", spanUs);
          j.attribute("pipeline_users", pipelineUsers);
          j.attribute("memory_users", memoryUsers);
          j.attribute("users_in_flight", users);
          j.attribute("system_tokens_per_s", systemTps);
          j.attribute("tokens_per_s_per_chip",
                      s.chips ? systemTps / s.chips : 0.0);
        });
      // The decode step's analytic lower bound, per term, in microseconds.
      if (auto total = d.lowerBound.find("total"); total != d.lowerBound.end())
        j.attributeObject("bounds", [&] {
          for (auto &[term, cycles] : d.lowerBound)
            j.attribute("decode_" + term + "_us", cycles / s.clockMHz);
          j.attribute("decode_schedule_to_bound",
                      total->second > 0
                          ? double(d.makespanCycles) / total->second
                          : 0.0);
        });
    }
  });
}

static void writeIntArray(llvm::json::OStream &j, StringRef key,
                          ArrayRef<int64_t> values) {
  j.attributeArray(key, [&] {
    for (int64_t v : values)
      j.value(v);
  });
}

LogicalResult mlir::llm::lpu::exportPlanToJSON(Operation *op,
                                               raw_ostream &os) {
  FailureOr<ProgramOp> program = findPlan(op);
  if (failed(program))
    return failure();
  PlanSummary summary = summarize(*program);
  llvm::json::OStream j(os, 1);
  j.object([&] {
    writeSummary(j, summary);
    j.attributeObject("chip", [&] {
      j.attribute("slices", program->getSlices());
      j.attribute("slice_bytes", program->getSliceBytes());
      j.attribute("mxm", program->getMxmUnits());
      j.attribute("vxm", program->getVxmUnits());
      j.attribute("sxm", program->getSxmUnits());
      j.attribute("links", program->getLinkUnits());
    });
    j.attributeArray("placements", [&] {
      for (auto place : program->getBody().front().getOps<PlaceOp>())
        j.object([&] {
          j.attribute("id", place.getSymName());
          j.attribute("tensor", place.getTensor());
          writeIntArray(j, "offsets", place.getOffsets());
          writeIntArray(j, "sizes", place.getSizes());
          j.attribute("bits", place.getBits());
          j.attribute("chip", place.getChip());
          j.attribute("first_slice", place.getFirstSlice());
          j.attribute("num_slices", place.getNumSlices());
          j.attribute("bytes_per_slice", place.getBytesPerSlice());
        });
    });
    j.attributeArray("instructions", [&] {
      for (auto instructions :
           program->getBody().front().getOps<InstructionsOp>())
        j.object([&] {
          j.attribute("chip", instructions.getChip());
          j.attribute("operations", instructions.getOperations());
          j.attribute("bytes", instructions.getBytes());
          j.attribute("first_slice", instructions.getFirstSlice());
          j.attribute("num_slices", instructions.getNumSlices());
          j.attribute("bytes_per_slice", instructions.getBytesPerSlice());
        });
    });
    j.attributeArray("schedules", [&] {
      for (auto schedule : program->getBody().front().getOps<ScheduleOp>()) {
        // Operations are numbered in order; inputs refer to those numbers.
        llvm::DenseMap<Value, int64_t> ids;
        j.object([&] {
          j.attribute("name", schedule.getName());
          j.attribute("tokens", schedule.getTokens());
          j.attribute("context", schedule.getContext());
          j.attribute("makespan_cycles", schedule.getMakespan());
          j.attributeArray("operations", [&] {
            for (auto sop :
                 schedule.getBody().front().getOps<ScheduledOpInterface>()) {
              Operation *raw = sop.getOperation();
              int64_t id = ids.size();
              ids[raw->getResult(0)] = id;
              j.object([&] {
                j.attribute("id", id);
                j.attribute("op", raw->getName().stripDialect());
                if (auto vector = dyn_cast<VectorOp>(raw))
                  j.attribute("kind", vector.getKind());
                if (auto weights =
                        raw->getAttrOfType<FlatSymbolRefAttr>("weights"))
                  j.attribute("weights", weights.getValue());
                if (auto attention = dyn_cast<AttentionOp>(raw)) {
                  j.attribute("cache", attention.getCache());
                  j.attribute("first_kv_head", attention.getFirstKvHead());
                  j.attribute("kv_heads", attention.getKvHeads());
                }
                j.attribute("chip", sop.getChipIndex());
                if (auto transfer = dyn_cast<TransferOp>(raw)) {
                  j.attribute("to", transfer.getTo());
                  if (auto columns = transfer.getColumnsAttr())
                    j.attribute("columns", columns.getInt());
                  if (transfer.getStreamed())
                    j.attribute("streamed", true);
                }
                j.attribute("start", sop.getStartCycle());
                j.attribute("duration", sop.getDurationCycles());
                if (sop.getLatencyCycles() > 0)
                  j.attribute("latency", sop.getLatencyCycles());
                j.attributeObject("units", [&] {
                  if (!sop.getMxmUnits().empty())
                    writeIntArray(j, "mxm", sop.getMxmUnits());
                  if (!sop.getVxmUnits().empty())
                    writeIntArray(j, "vxm", sop.getVxmUnits());
                  if (!sop.getSxmUnits().empty())
                    writeIntArray(j, "sxm", sop.getSxmUnits());
                  if (!sop.getLinkUnits().empty())
                    writeIntArray(j, "links", sop.getLinkUnits());
                });
                j.attributeArray("inputs", [&] {
                  for (Value input : raw->getOperands())
                    j.value(ids.lookup(input));
                });
                auto type = cast<RankedTensorType>(raw->getResult(0).getType());
                writeIntArray(j, "shape", type.getShape());
              });
            }
          });
        });
      }
    });
  });
  os << "\n";
  return success();
}
