"""Which nodes of a network are worth int8 on the CPU, and one clean-up after quantising.

Measured on the shipped hybrid CNN + attention bundles (onnxruntime 1.32 per-op profiles,
2026-12-04, docs/benchmarks.md INT8): quantising every Conv, ConvTranspose, Gemm and MatMul
made int8 only ~1.2 x faster than fp32, because
- the attention's activation x activation MatMuls (Q·Kᵀ and softmax·V) made onnxruntime fuse
  the softmax between them into QLinearSoftmax, 8-11 % of the int8 pass by itself;
- a Conv becomes one GEMM per image with K = C_in/group·kh·kw and N = C_out/group, and the
  u8·s8 kernel only beats the fp32 NCHWc kernel when both are wide: the first conv on the
  1-channel image (K = 9) ran 14 x slower in int8, the 16 → 1 segmentation head 2.6 x, a
  16-channel 1x1 skip conv 2.7 x; each also paid a Quantize, two Transposes and a Dequantize;
- onnxruntime has no int8 ConvTranspose on the CPU: it ran Dequantize + the fp32 kernel,
  i.e. int8 error for no speed;
- a Shape node reading a dequantised tensor (GroupNorm's Reshape back) made onnxruntime
  give it its own full-tensor DequantizeLinear, only to read the shape.
Leaving those nodes in fp32 (and pointing Shape at the int8 tensor) makes the int8 pass
~1.45 x faster than fp32 at batch 1 and 4, and closer to fp32. More is not to be had by
quantising: the GroupNorm, GELU and residual adds between the convolutions have no int8
kernel and are about a third of the fp32 pass already.
"""

from __future__ import annotations

import math

# The ops with weights, where an int8 kernel exists on the CPU; normalisation, GELU, softmax
# and ConvTranspose (no int8 kernel) stay fp32.
QUANTISED_OPS = ("Conv", "Gemm", "MatMul")
# A Conv is quantised only if its GEMM is this wide (see the module docstring): K, the
# products summed per output value, and N, the output channels per group.
MIN_CONV_K = 32
MIN_CONV_N = 16


def constant_names(model) -> set[str]:  # noqa: ANN001 - onnx.ModelProto
    """Initializers and Constant outputs: the tensors that are weights, not activations."""
    graph = model.graph
    names = {i.name for i in graph.initializer}
    names |= {o for n in graph.node if n.op_type == "Constant" for o in n.output}
    return names


def conv_gemm_size(node, weights: dict) -> tuple[int, int] | None:  # noqa: ANN001
    """(K, N) of the GEMM a Conv node runs, from its weight (C_out, C_in/group, kh, kw);
    None if the weight is not a constant of known shape."""
    weight = weights.get(node.input[1]) if len(node.input) > 1 else None
    if weight is None or len(weight.dims) < 3:
        return None
    group = next((int(a.i) for a in node.attribute if a.name == "group"), 1)
    c_out, c_in_per_group, *kernel = (int(d) for d in weight.dims)
    return c_in_per_group * math.prod(kernel), c_out // max(group, 1)


def nodes_to_keep_fp32(model) -> list[str]:  # noqa: ANN001 - onnx.ModelProto
    """Names of the nodes of a QUANTISED_OPS type that int8 does not pay on (module
    docstring): MatMuls with no constant input, Convs whose GEMM is narrower than
    MIN_CONV_K x MIN_CONV_N (or whose weight is not a constant). Nodes need names (the
    quantiser matches nodes_to_exclude by name): see name_nodes."""
    unnamed = [n.op_type for n in model.graph.node if n.op_type in QUANTISED_OPS and not n.name]
    if unnamed:
        raise ValueError(f"{len(unnamed)} {', '.join(sorted(set(unnamed)))} nodes have no name")
    constants = constant_names(model)
    weights = {i.name: i for i in model.graph.initializer}
    keep = []
    for node in model.graph.node:
        if node.op_type == "MatMul" and not any(i in constants for i in node.input):
            keep.append(node.name)
        elif node.op_type == "Conv":
            size = conv_gemm_size(node, weights)
            if size is None or size[0] < MIN_CONV_K or size[1] < MIN_CONV_N:
                keep.append(node.name)
    return keep


def name_nodes(model) -> int:  # noqa: ANN001 - onnx.ModelProto
    """Give every unnamed node a unique name (op type and position), so nodes_to_keep_fp32
    can name it to the quantiser; torch exports name their nodes, small hand-made graphs
    often do not. In place; returns how many were named."""
    taken = {n.name for n in model.graph.node if n.name}
    named = 0
    for index, node in enumerate(model.graph.node):
        if not node.name:
            name = f"{node.op_type}_{index}"
            while name in taken:
                name += "_"
            node.name = name
            taken.add(name)
            named += 1
    return named


def shapes_from_int8(model) -> int:  # noqa: ANN001 - onnx.ModelProto
    """Point every Shape node that reads a DequantizeLinear output at that DequantizeLinear's
    int8 input (same shape), so onnxruntime does not dequantise a whole tensor for its shape;
    DequantizeLinear nodes left with no reader are dropped. In place; returns how many Shape
    nodes were moved."""
    graph = model.graph
    dequantised = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "DequantizeLinear"}
    moved = 0
    for node in graph.node:
        if node.op_type == "Shape" and node.input[0] in dequantised:
            node.input[0] = dequantised[node.input[0]]
            moved += 1
    read = _inputs_read(graph) | {o.name for o in graph.output}
    kept = [
        n for n in graph.node if not (n.op_type == "DequantizeLinear" and n.output[0] not in read)
    ]
    if len(kept) != len(graph.node):
        del graph.node[:]
        graph.node.extend(kept)
    return moved


def _inputs_read(graph) -> set[str]:  # noqa: ANN001 - onnx.GraphProto
    """Every tensor name a node reads, in this graph and in its nodes' subgraphs (If, Loop)."""
    names = set()
    for node in graph.node:
        names.update(node.input)
        for attribute in node.attribute:
            subgraphs = [*attribute.graphs, *([attribute.g] if attribute.HasField("g") else [])]
            for sub in subgraphs:
                names |= _inputs_read(sub)
    return names
